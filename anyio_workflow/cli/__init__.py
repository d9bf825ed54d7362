"""The ``anyio-workflow`` command line (Typer + rich).

Errors are one clear line: exit code 2 for bad input, 1 for a failed run; a Python
traceback only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core.redact import redact_url
from ..errors import AnyioWorkflowError, InvalidArgument, single_error
from ..journal import SqliteJournal
from ..workflow.engine import AsyncWorkflow
from ..workflow.events import (
    AgentFinished,
    AgentStarted,
    AttemptFailed,
    Event,
    RetryScheduled,
    RunFinished,
)
from ..workflow.result import WorkflowResult

app = typer.Typer(
    help="Structured-concurrency workflows for Web3 tasks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Docstrings are reStructuredText-ish: ``code`` is a markdown code span too, and
    # markdown joins a paragraph's lines instead of breaking them where the source did.
    rich_markup_mode="markdown",
)
console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"anyio-workflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Structured-concurrency workflows for Web3 tasks."""


async def _show_progress(events: Any, progress: Progress, shown: anyio.Event) -> None:
    tasks: dict[str, Any] = {}
    overall = progress.add_task("[bold]all agents", total=None, status="")
    async for event in events:
        _apply(event, progress, tasks, overall)
        if isinstance(event, RunFinished):
            shown.set()
            return


def _apply(event: Event, progress: Progress, tasks: dict[str, Any], overall: Any) -> None:
    if isinstance(event, AgentStarted):
        tasks[event.agent] = progress.add_task(
            f"{event.role.value[:4]} {event.agent}", total=1, status="running"
        )
        progress.update(overall, total=len(tasks))
    elif isinstance(event, AttemptFailed) and event.agent in tasks:
        progress.update(tasks[event.agent], status=f"[yellow]attempt {event.attempt} failed")
    elif isinstance(event, RetryScheduled) and event.agent in tasks:
        progress.update(tasks[event.agent], status=f"[yellow]retry in {event.delay:.2f} s")
    elif isinstance(event, AgentFinished) and event.agent in tasks:
        colour = "green" if event.status.value == "succeeded" else "red"
        progress.update(tasks[event.agent], completed=1, status=f"[{colour}]{event.status.value}")
        progress.advance(overall)


def first_line(error: BaseException) -> str:
    """A validation error's first complaint, one line: the field and what is wrong."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        return f"{where}: {first['msg']}"
    return str(getattr(error, "short_message", None) or error).splitlines()[0]


def _error_line(error: BaseException) -> str:
    """An error as one line: its type and its short message (no ExceptionGroup wrapper)."""
    error = single_error(error)
    text = getattr(error, "short_message", None) or str(error)
    return f"{type(error).__name__}: {text}"


def run_summary(result: WorkflowResult) -> dict[str, Any]:
    """The run as JSON-ready data."""
    return {
        "run_id": result.run_id,
        "status": result.status.value,
        "error": None if result.error is None else _error_line(result.error),
        "steps": result.steps,
        "outcomes": [
            {
                "agent": o.agent,
                "role": o.role.value,
                "status": o.status.value,
                "attempts": len(o.attempts),
                "seconds": o.duration,
                "error": None if o.error is None else _error_line(o.error),
            }
            for o in result.outcomes
        ],
    }


@app.command()
def demo(
    backend: Annotated[str, typer.Option(help="asyncio or trio")] = "asyncio",
    agents: Annotated[int, typer.Option(min=1, max=200, help="native payout agents")] = 24,
    batch: Annotated[int, typer.Option(min=1, max=500, help="USDC payroll per chain")] = 50,
    store: Annotated[
        str | None, typer.Option(help="keep the audit record in this directory")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    seed: Annotated[int, typer.Option(help="seed of the amounts and injected faults")] = 7,
) -> None:
    """Pay vendors on three embedded devnets at once (ethereum, polygon, Solana), with
    live progress per agent."""
    from ..storage import LocalStore
    from .demo import (
        batching_savings,
        build_demo,
        receipt_row,
        receipts_by_agent,
        sequential_extrapolated,
        solana_packing,
    )

    if backend not in ("asyncio", "trio"):
        raise typer.BadParameter("must be asyncio or trio", param_hint="--backend")

    async def main() -> tuple[WorkflowResult, float, list[dict[str, Any]]]:
        demo = await build_demo(
            agents, batch=batch, seed=seed, store=LocalStore(store) if store else None
        )
        started = time.perf_counter()
        result = await _run(demo.workflow, demo.task, progress=not as_json)
        wall = time.perf_counter() - started
        # A few of the same payouts, one by one: what the figures below are measured against.
        return result, wall, await demo.sample() if result.ok else []

    result, wall, samples = anyio.run(main, backend=backend)
    one_by_one = sequential_extrapolated(result, samples) if samples else None
    rows = receipts_by_agent(result)
    savings = batching_savings(result, samples)
    audit = result.audit
    summary = run_summary(result) | {
        "wall_s": wall,
        "sequential_extrapolated_s": one_by_one,
        "samples": samples,
        "receipts": [receipt_row(agent, r) for agent, r in rows],
        "batching": savings,
        "solana_packing": solana_packing(result),
        "gas_saved_pct": savings["gas_saved_pct"],
        "cid": str(audit.cid) if audit else None,
        "merkle_root": audit.root if audit else None,
    }  # fmt: skip
    if as_json:
        print(json.dumps(summary, default=str))
    else:
        table = Table(title=f"run {result.run_id} - {result.status.value}")
        for column in ("agent", "chain", "transaction", "block / slot", "gas / CU limit"):
            table.add_column(column)
        for agent, r in rows:
            row = receipt_row(agent, r)
            cost = row["gas_used"] if row["gas_used"] is not None else row["compute_unit_limit"]
            table.add_row(agent, row["chain"], r.hash[:18] + "...", str(row["block"]),
                          f"{cost:,}")  # fmt: skip
        out = Console()
        out.print(table)
        if samples:
            out.print(
                f"batching: {savings['payouts']} USDC payouts in {savings['transactions']} "
                f"transactions used {savings['gas_used']:,} gas; one transfer each would use "
                f"{savings['one_by_one_measured']:,} (single transfers measured after the run: "
                f"{savings['single_transfer_gas']} gas), {savings['gas_saved_pct']:.1f}% saved"
            )
            packed = solana_packing(result)
            out.print(
                f"solana: {packed['payouts']} payouts (SPL USDC and SOL) in "
                f"{packed['transactions']} transactions, packed within 1,232 bytes each"
            )
            assert one_by_one is not None
            out.print(
                f"wall time {wall:.2f} s; the same payouts one after another: about "
                f"{one_by_one:.2f} s ({one_by_one / wall:.1f}x), extrapolated from "
                f"{len(samples)} sample transfers sent one by one after the run. Simulated "
                "network latency: 50 ms per request."
            )
        if audit is not None:
            where = f" (stored in {store})" if store else " (kept in memory; --store DIR keeps it)"
            out.print(f"audit record {audit.cid}{where}; Merkle root {audit.root}")
    if not result.ok:
        raise typer.Exit(1)


async def _run(workflow: AsyncWorkflow, task: Any, *, progress: bool) -> WorkflowResult:
    """Run ``task``, with a live progress bar per agent from the workflow's events."""
    if not progress:
        return await workflow.run(task)
    with (
        Progress(*_columns(), console=console, transient=False) as bars,
        workflow.subscribe() as events,
    ):
        async with anyio.create_task_group() as tg:
            shown = anyio.Event()
            tg.start_soon(_show_progress, events, bars, shown)
            result = await workflow.run(task)
            if result.events:  # it ran here: its last event is on its way to the bars
                with anyio.move_on_after(1.0):
                    await shown.wait()
            # A run the journal knows finished already emits nothing: no bar to wait for.
            tg.cancel_scope.cancel()
        return result


def _columns() -> tuple[Any, ...]:
    return (
        TextColumn("{task.description:<24}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )


@app.command()
def devnet(
    chain_id: Annotated[int, typer.Option(min=1, help="the EVM devnet's chain id")] = 1337,
    port: Annotated[int, typer.Option(min=0, max=65535, help="0 picks a free port")] = 0,
    solana: Annotated[bool, typer.Option(help="also serve a Solana devnet")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON line once ready")] = False,
    backend: Annotated[str, typer.Option(help="asyncio or trio")] = "asyncio",
    engine: Annotated[str, typer.Option(help="the EVM devnet's engine: revm or py-evm")] = "revm",
) -> None:
    """Serve the embedded devnets on loopback until interrupted (Ctrl-C or SIGTERM)."""
    import signal

    from ..devnet import EvmDevnet, SolanaDevnet

    if backend not in ("asyncio", "trio"):
        raise typer.BadParameter("must be asyncio or trio", param_hint="--backend")
    if engine not in ("revm", "py-evm"):
        raise typer.BadParameter("must be revm or py-evm", param_hint="--engine")
    evm = EvmDevnet(chain_id=chain_id, backend="py-evm" if engine == "py-evm" else "revm")
    sol = SolanaDevnet() if solana else None

    async def main() -> None:
        async with AsyncExitStack() as stack:
            url = await stack.enter_async_context(evm.serve(port=port or None))
            solana_url = await stack.enter_async_context(sol.serve()) if sol else None
            accounts = [
                {"address": a.address, "private_key": "0x" + a.key.hex()} for a in evm.accounts
            ]
            if as_json:
                info: dict[str, Any] = {"url": url, "chain_id": chain_id, "accounts": accounts}
                if solana_url and sol is not None:
                    info["solana_url"] = solana_url  # as before; "solana" says all
                    info["solana"] = {
                        "url": solana_url, "chain_id": sol.chain_id,
                        "accounts": [{"address": str(k.pubkey()), "secret_key": str(k)}
                                     for k in sol.funded],
                    }  # fmt: skip
                print(json.dumps(info), flush=True)
            else:
                out = Console()
                out.print(f"EVM devnet (chain id {chain_id}) on [bold]{url}[/bold]")
                if solana_url:
                    out.print(f"Solana devnet on [bold]{solana_url}[/bold]")
                out.print(
                    "Funded accounts. These keys are the devnet's well-known TEST keys, "
                    "public to everyone: never send them real value."
                )
                for account in accounts:
                    out.print(f"  {account['address']}  {account['private_key']}")
                out.print("Serving until Ctrl-C.")
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    break

    anyio.run(main, backend=backend)


def _load_workflow(target: str) -> tuple[AsyncWorkflow, Any]:
    """``path/to/file.py:name`` -> (the workflow, the module's ``task`` or None)."""
    import importlib.util
    from pathlib import Path

    path_text, _, name = target.rpartition(":")
    if not path_text or not name:
        raise typer.BadParameter("expected path/to/file.py:name", param_hint="TARGET")
    path = Path(path_text)
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint="TARGET")
    spec = importlib.util.spec_from_file_location(f"_anyio_workflow_user_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    found = getattr(module, name, None)
    if callable(found) and not isinstance(found, AsyncWorkflow):
        found = found()
    if not isinstance(found, AsyncWorkflow):
        raise typer.BadParameter(f"{name} in {path} is not an AsyncWorkflow", param_hint="TARGET")
    return found, getattr(module, "task", None)


def rpc_overrides(values: list[str]) -> dict[int, str]:
    overrides: dict[int, str] = {}
    for value in values:
        chain_text, _, url = value.partition("=")
        if not chain_text.isdigit() or not url.startswith(("http://", "https://")):
            shown = f"{chain_text[:20]}={redact_url(url)}" if url else redact_url(value)
            raise typer.BadParameter(
                f"expected CHAIN=URL with an http(s) URL, got {shown}", param_hint="--rpc"
            )
        overrides[int(chain_text)] = url
    return overrides


def signer_from_environment(keystore: str | None) -> Any:
    """The paying key: ANYIO_WORKFLOW_PRIVATE_KEY, or a keystore file whose password is in
    ANYIO_WORKFLOW_KEYSTORE_PASSWORD. Never a command-line argument."""
    import os

    from pydantic import SecretStr

    from ..evm.accounts import LocalSigner

    if keystore is not None:
        password = os.environ.get("ANYIO_WORKFLOW_KEYSTORE_PASSWORD")
        if password is None:
            raise typer.BadParameter(
                "set ANYIO_WORKFLOW_KEYSTORE_PASSWORD to the keystore's password",
                param_hint="--keystore",
            )
        try:
            return LocalSigner.from_keystore(keystore, SecretStr(password))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--keystore") from None
    key = os.environ.get("ANYIO_WORKFLOW_PRIVATE_KEY")
    if key is None:
        return None
    try:
        return LocalSigner(SecretStr(key))
    except ValueError:
        raise typer.BadParameter(
            "ANYIO_WORKFLOW_PRIVATE_KEY is not a valid private key", param_hint="environment"
        ) from None


def _prepared(
    target: str, rpc: list[str] | None, keystore: str | None, backend: str, journal: str | None
) -> tuple[AsyncWorkflow, Any]:
    """The workflow of ``target`` with the command line's endpoints, key and journal."""
    if backend not in ("asyncio", "trio"):
        raise typer.BadParameter("must be asyncio or trio", param_hint="--backend")
    workflow, file_task = _load_workflow(target)
    services: dict[str, Any] = {}
    signer = signer_from_environment(keystore)
    if signer is not None:
        services["signer"] = signer
    workflow = workflow.replace(rpc=rpc_overrides(rpc or []), **services)
    if journal is not None:
        workflow.journal = SqliteJournal(journal)
    return workflow, file_task


async def _until_interrupted(
    workflow: AsyncWorkflow, start: Any, progress: bool
) -> WorkflowResult | None:
    """``start()``'s result; ``None`` when SIGINT or SIGTERM came first. A signal cancels
    the run, whose auditors (shielded, within their ``audit_timeout``) record it before it
    ends: Ctrl-C never leaves a run without its record."""
    import signal

    result: WorkflowResult | None = None
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for signum in signals:
                    name = signal.Signals(signum).name
                    console.print(f"{name}: cancelling the run; its auditors record it first")
                    tg.cancel_scope.cancel()
                    return

        # Signals reach the main thread only (not a CliRunner's worker), and not Windows.
        if sys.platform != "win32" and threading.current_thread() is threading.main_thread():
            tg.start_soon(watch)
        result = await _run(workflow, start, progress=progress)
        tg.cancel_scope.cancel()
    if workflow.journal is not None:
        await workflow.journal.aclose()
    return result


def _report(result: WorkflowResult | None, as_json: bool) -> None:
    if result is None:
        console.print("interrupted: the run was cancelled (resume it with its key)")
        raise typer.Exit(130)
    audit = result.audit
    summary = run_summary(result) | {
        "receipts": [r.model_dump(mode="json") if hasattr(r, "model_dump") else r for r in result],
        "cid": str(audit.cid) if audit else None,
        "stored_in": audit.where if audit else None,
        "auditor": audit.envelope.auditor if audit else None,
    }
    if as_json:
        print(json.dumps(summary, default=str))
    else:
        Console().print(f"run {result.run_id}: {result.status.value}")
        for receipt in result:
            Console().print(f"  {getattr(receipt, 'hash', receipt)}")
        if result.error is not None:
            Console().print(f"  [red]{type(result.error).__name__}[/red]: {result.error}")
        if audit is not None:
            Console().print(f"  audit record {audit.cid}, signed by {audit.envelope.auditor}")
            if audit.where is not None:
                Console().print(
                    f"  stored in {audit.where}: anyio-workflow verify {audit.cid}"
                    f" --store {audit.where} --auditor {audit.envelope.auditor}"
                )
    if not result.ok:
        raise typer.Exit(1)


JournalOption = Annotated[
    str | None, typer.Option(help="a journal file: the run is recorded there, and resumable")
]
RpcOption = Annotated[list[str] | None, typer.Option(help="CHAIN=URL, repeatable")]
KeystoreOption = Annotated[str | None, typer.Option(help="an encrypted keystore file")]
BackendOption = Annotated[str, typer.Option(help="asyncio or trio")]
JsonOption = Annotated[bool, typer.Option("--json", help="one JSON object on stdout")]


@app.command()
def run(
    target: Annotated[str, typer.Argument(help="path/to/file.py:workflow")],
    action: Annotated[
        str | None, typer.Option(help="the task's action (else the file's task)")
    ] = None,
    params: Annotated[str | None, typer.Option(help="the task's params, as JSON")] = None,
    chain_id: Annotated[int | None, typer.Option(min=1, help="the task's chain")] = None,
    key: Annotated[str | None, typer.Option(help="the task's idempotency key")] = None,
    rpc: RpcOption = None,
    keystore: KeystoreOption = None,
    journal: JournalOption = None,
    backend: BackendOption = "asyncio",
    as_json: JsonOption = False,
) -> None:
    """Run a workflow from a Python file against real endpoints, with live progress.

    The key comes from ANYIO_WORKFLOW_PRIVATE_KEY, or from --keystore with its password in
    ANYIO_WORKFLOW_KEYSTORE_PASSWORD; it becomes the workflow's ``signer`` service.
    Ctrl-C (or SIGTERM) cancels the run once its auditors have recorded it (exit code 130);
    with --journal and --key, ``anyio-workflow resume KEY TARGET --journal PATH`` goes on."""
    from ..workflow.task import Task

    workflow, file_task = _prepared(target, rpc, keystore, backend, journal)
    try:
        parsed = json.loads(params) if params is not None else None
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc.msg}", param_hint="--params") from None
    if parsed is not None and not isinstance(parsed, dict):
        raise typer.BadParameter(
            f'params must be a JSON object ({{"to": ...}}), not a {type(parsed).__name__}',
            param_hint="--params",
        )
    if action is None and file_task is None:
        raise typer.BadParameter(
            "give --action, or define `task` in the file", param_hint="--action"
        )
    try:
        task: Any = Task.coerce(
            action if action is not None else file_task, chain_id=chain_id, params=parsed
        )
        if key is not None:
            task = task.model_copy(update={"idempotency_key": key})
    except (ValidationError, InvalidArgument) as exc:
        raise typer.BadParameter(first_line(exc), param_hint="task") from None

    result = anyio.run(_until_interrupted, workflow, task, not as_json, backend=backend)
    _report(result, as_json)


@app.command()
def resume(
    key: Annotated[str, typer.Argument(help="the run's idempotency key (or its run id)")],
    target: Annotated[str, typer.Argument(help="path/to/file.py:workflow")],
    journal: Annotated[str, typer.Option(help="the journal the run was recorded in")],
    rpc: RpcOption = None,
    keystore: KeystoreOption = None,
    backend: BackendOption = "asyncio",
    as_json: JsonOption = False,
) -> None:
    """Go on with a run the journal knows and that did not succeed, with the task it was
    recorded with: agents that succeeded keep their outcomes, and every transaction it
    signed is reconciled with the chain (receipt, nonce, or the same bytes again) before
    anything new is sent. A run that succeeded is reported, and nothing is sent."""
    if not Path(journal).is_file():
        raise typer.BadParameter(f"no journal at {journal}", param_hint="--journal")
    workflow, _ = _prepared(target, rpc, keystore, backend, journal)
    assert workflow.journal is not None
    if not any(r.key == key for r in workflow.journal.runs()):
        known = ", ".join(r.key for r in workflow.journal.runs()[-5:]) or "none"
        raise typer.BadParameter(
            f"{key!r} is not a run of {journal} (latest: {known})", param_hint="KEY"
        )

    async def go() -> WorkflowResult | None:
        assert workflow.journal is not None
        task = workflow.journal.run(key).task | {"idempotency_key": key}
        return await _until_interrupted(workflow, task, not as_json)

    _report(anyio.run(go, backend=backend), as_json)


@app.command()
def runs(
    journal: Annotated[str, typer.Option(help="a journal file (SqliteJournal)")],
    as_json: JsonOption = False,
) -> None:
    """List the runs a journal knows: how each ended (``running`` for one that did not:
    resumable), its attempts, and its transactions' states, with what a resume would
    reconcile (signed or broadcast, not settled)."""
    from collections import Counter

    path = Path(journal)
    if not path.is_file():
        raise typer.BadParameter(f"no journal at {path}", param_hint="--journal")
    found = SqliteJournal(path)
    by_run: dict[str, Counter[str]] = {r.key: Counter() for r in found.runs()}
    for entry in found.entries():
        by_run.setdefault(entry.run_id, Counter())[entry.state.value] += 1
    records = {r.key: r for r in found.runs()}
    anyio.run(found.aclose)
    listing: list[dict[str, Any]] = []
    for run_key, states in by_run.items():
        record = records.get(run_key)
        listing.append({
            "run": run_key,
            "status": (record.status or "running") if record else None,
            "attempts": len(record.run_ids) if record else None,
            "transactions": sum(states.values()), "states": dict(states),
            "unsettled": states["signed"] + states["broadcast"],
        })  # fmt: skip
    if as_json:
        print(json.dumps({"journal": str(path), "runs": listing}))
        return
    table = Table(title=f"journal {path}")
    for column in ("run", "status", "attempts", "transactions", "states", "unsettled"):
        table.add_column(column)
    for row in listing:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(row["states"].items()))
        table.add_row(str(row["run"]), str(row["status"] or "-"), str(row["attempts"] or "-"),
                      str(row["transactions"]), shown, str(row["unsettled"]))  # fmt: skip
    Console().print(table)


@app.command()
def cid(
    path: Annotated[str, typer.Argument(help="a file, or - for standard input")],
    cid_version: Annotated[int, typer.Option(min=0, max=1, help="0 (Qm...) or 1 (bafy...)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Print the CID that `ipfs add --only-hash [--cid-version 1]` prints, and nothing else."""
    from pathlib import Path

    from ..storage.unixfs import import_file

    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read it ({exc.strerror})", param_hint="PATH") from (
                None
            )
    root = import_file(data, cid_version=cid_version)
    if as_json:
        print(json.dumps({"cid": str(root), "cid_version": cid_version, "size": len(data)}))
    else:
        print(root)


def _revealed(record: Any, path: Path) -> list[Any]:
    """A check per personal field of the salts file at ``path``."""
    from ..audit.auditor import Check
    from ..audit.personal import unsealed

    try:
        shown = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}", param_hint="--reveal") from None
    if record is None:
        return [Check("reveal", False, "no record to check the values against")]
    if shown.get("run_id") != record.run_id:
        return [Check("reveal", False, f"the salts are run {shown.get('run_id')}'s, not "
                                       f"{record.run_id}'s")]  # fmt: skip
    checks = []
    params = record.task.get("params", {}) if isinstance(record.task, dict) else {}
    for name, ok in unsealed(params, shown.get("task", {})):
        detail = "matches its commitment" if ok else "does NOT match its commitment"
        checks.append(Check(f"reveal task.params.{name}", ok, detail))
    outputs = {a.name: a.output for a in record.agents}
    for agent, fields in shown.get("agents", {}).items():
        output = outputs.get(agent)
        for name, ok in unsealed(output if isinstance(output, dict) else {}, fields):
            detail = "matches its commitment" if ok else "does NOT match its commitment"
            checks.append(Check(f"reveal {agent}.{name}", ok, detail))
    return checks


@app.command("contract-stub")
def contract_stub(
    abi: Annotated[Path, typer.Argument(help="a JSON ABI, or an artifact with one")],
    name: Annotated[str, typer.Option(help="the class's name")],
) -> None:
    """Print a typed Contract class for an ABI (a module: save it, import it), so that
    an IDE completes its functions and mypy checks their arguments."""
    from ..evm.codegen import contract_module
    from ..evm.contract import load_abi

    try:
        print(contract_module(name, load_abi(abi)))
    except AnyioWorkflowError as exc:
        raise typer.BadParameter(first_line(exc)) from None


@app.command()
def verify(
    record: Annotated[str, typer.Argument(help="the CID of an audit record (its envelope)")],
    store: Annotated[
        str | None,
        typer.Option(help="a LocalStore directory (default: where runs here store records)"),
    ] = None,
    kubo: Annotated[str | None, typer.Option(help="a Kubo RPC URL")] = None,
    gateway: Annotated[str | None, typer.Option(help="a trustless gateway URL")] = None,
    auditor: Annotated[str | None, typer.Option(help="the address that must have signed")] = None,
    rpc: Annotated[str | None, typer.Option(help="an EVM RPC URL to find the anchor on")] = None,
    anchor: Annotated[str | None, typer.Option(help="the AuditAnchor contract")] = None,
    from_block: Annotated[int, typer.Option(min=0, help="where to search for the anchor")] = 0,
    reveal: Annotated[
        Path | None, typer.Option(help="a salts file: check its personal values against it")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Fetch an audit record and check it: CID, signature, Merkle root, chain link, anchor;
    with --reveal, the personal values of a salts file against the record's commitments
    (what an auditor is shown; the public sees only the commitments)."""
    from ..audit import verify_record
    from ..evm.address import InvalidAddress, to_checksum
    from ..rpc import EthRpc, JsonRpcClient
    from ..storage import CID, GatewayReader, InvalidCID, KuboStore, LocalStore

    try:
        target = CID.parse(record)
    except InvalidCID as exc:
        raise typer.BadParameter(str(exc), param_hint="RECORD") from None
    for name, value in (("--auditor", auditor), ("--anchor", anchor)):
        if value is not None:
            try:
                to_checksum(value)
            except InvalidAddress as exc:
                raise typer.BadParameter(str(exc), param_hint=name) from None
    if sum(x is not None for x in (store, kubo, gateway)) > 1:
        raise typer.BadParameter("give at most one of --store, --kubo, --gateway")
    if kubo is None and gateway is None and store is None:
        from ..storage.local import default_store

        store = str(default_store().root)  # where this user's runs keep their records
    for name, url in (("--rpc", rpc), ("--kubo", kubo), ("--gateway", gateway)):
        if url is not None and not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"not an http(s) URL: {redact_url(url)}", param_hint=name)

    async def main() -> tuple[list[Any], Any]:
        async with AsyncExitStack() as stack:
            source: Any
            if store is not None:
                source = LocalStore(store)
            elif kubo is not None:
                source = await stack.enter_async_context(KuboStore(kubo))
            else:
                assert gateway is not None
                source = await stack.enter_async_context(GatewayReader(gateway))
            eth = None
            if rpc is not None:
                eth = EthRpc(await stack.enter_async_context(JsonRpcClient(rpc)))
            return await verify_record(
                target, source, auditor=auditor, eth=eth, anchor=anchor, from_block=from_block
            )

    checks, found = anyio.run(main)
    if reveal is not None:
        checks = [*checks, *_revealed(found, reveal)]
    ok = all(c.ok for c in checks if c.checked)
    unchecked = [c for c in checks if not c.checked]
    if as_json:
        print(json.dumps({
            "cid": str(target), "ok": ok and not unchecked,
            "integrity": ok, "authorship": "not checked" if unchecked else "checked",
            "run_id": found.run_id if found else None,
            "checks": [{"name": c.name, "ok": c.ok, "checked": c.checked, "detail": c.detail}
                       for c in checks],
        }))  # fmt: skip
    else:
        table = Table(title=f"audit record {target}")
        table.add_column("check")
        table.add_column("verdict")
        table.add_column("detail")
        for c in checks:
            verdict = (
                "[yellow]not checked[/yellow]" if not c.checked
                else "[green]ok[/green]" if c.ok else "[red]FAILED[/red]"
            )  # fmt: skip
            table.add_row(c.name, verdict, c.detail)
        Console().print(table)
        if not ok:
            Console().print("[red]not verified[/red]")
        elif unchecked:
            Console().print(
                "[yellow]intact, authorship not checked[/yellow]: give --auditor ADDR, or "
                "--rpc to find the record's anchor and its sender"
            )
        else:
            Console().print("[green]verified[/green]")
    if not ok:
        raise typer.Exit(1)
    if unchecked:
        raise typer.Exit(3)


from . import approvals as _approvals  # noqa: E402, F401  (registers approve, approvals)
from . import temporal as _temporal  # noqa: E402, F401  (registers worker, submit)


def main() -> None:
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except Exception as raised:  # one clear line, unless --debug
        if debug:
            raise
        exc = single_error(raised)
        bad_input = isinstance(exc, ValidationError | InvalidArgument)
        console.print(f"[red]error:[/red] {type(exc).__name__}: {first_line(exc)}")
        sys.exit(2 if bad_input else 1)


if __name__ == "__main__":
    main()
