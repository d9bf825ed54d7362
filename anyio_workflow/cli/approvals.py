"""``anyio-workflow approve`` and ``anyio-workflow approvals``: owners of a Safe sign a
task's transaction into an approvals directory, and anyone sees who has and who is
missing, as a team passes approval files around."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from rich.console import Console
from rich.table import Table

from ..compliance import (
    DirectoryApprovals,
    Safe,
    SafeTx,
    approval_of,
    approve,
    payment_of,
    safe_tx_for,
)
from ..compliance import tally as tally_approvals
from ..core.task import Task
from ..errors import InvalidArgument
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from . import app, first_line, rpc_overrides, signer_from_environment
from .temporal import exit_now

TaskFile = Annotated[Path, typer.Argument(help="the task, as a JSON file (with its chain_id)")]
SafeOption = Annotated[str, typer.Option(help="the Safe's address")]
RpcOption = Annotated[list[str], typer.Option(help="CHAIN=URL: the task's chain")]
DirOption = Annotated[Path, typer.Option(help="the approvals directory")]
TemporalOption = Annotated[
    str | None,
    typer.Option("--temporal", help="a Temporal frontend (host:port): signal the run instead"),
]
WorkflowIdOption = Annotated[
    str | None, typer.Option(help="the run on Temporal (its workflow id), with --temporal")
]


def _on_temporal(temporal: str | None, workflow_id: str | None) -> bool:
    if (temporal is None) != (workflow_id is None):
        raise typer.BadParameter("give both --temporal and --workflow-id", param_hint="--temporal")
    return temporal is not None


def _task(path: Path) -> Task:
    try:
        task = Task.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(first_line(exc), param_hint="TASK_FILE") from None
    if not isinstance(task.chain_id, int):
        raise typer.BadParameter(
            "the task's chain_id must be an EVM chain (a Safe's)", param_hint="TASK_FILE"
        )
    return task


async def _pending(task: Task, safe: str, url: str) -> tuple[SafeTx, list[str], int]:
    """The task's transaction of the Safe on its current nonce, the owners, the threshold."""
    assert isinstance(task.chain_id, int)  # _task checked it
    async with JsonRpcClient(url) as client:
        eth = EthRpc(client)
        found = Safe(safe, eth)
        payment = await payment_of(task.params, eth, task.chain_id)
        tx = await safe_tx_for(payment, found, task.chain_id)
        return tx, await found.owners(), await found.threshold()


def _url(task: Task, rpc: list[str]) -> str:
    urls = rpc_overrides(rpc)
    if task.chain_id not in urls:
        raise typer.BadParameter(f"give --rpc {task.chain_id}=URL", param_hint="--rpc")
    return urls[task.chain_id]


@app.command("approve")
def approve_command(
    task_file: TaskFile,
    safe: SafeOption,
    rpc: RpcOption,
    keystore: Annotated[str | None, typer.Option(help="an encrypted keystore file")] = None,
    directory: DirOption = Path("approvals"),
    temporal: TemporalOption = None,
    workflow_id: WorkflowIdOption = None,
) -> None:
    """Sign the task's transaction of the Safe as one of its owners, into the approvals
    directory, or, with --temporal and --workflow-id, as a signal to that run on Temporal
    (kept in its history: it survives every worker). The key comes from --keystore (its
    password in ANYIO_WORKFLOW_KEYSTORE_PASSWORD) or ANYIO_WORKFLOW_PRIVATE_KEY, never the
    command line."""
    task = _task(task_file)
    signal = _on_temporal(temporal, workflow_id)
    signer = signer_from_environment(keystore)
    if signer is None:
        raise typer.BadParameter(
            "give --keystore, or set ANYIO_WORKFLOW_PRIVATE_KEY", param_hint="--keystore"
        )
    tx, owners, _ = anyio.run(_pending, task, safe, _url(task, rpc))
    if signer.address not in owners:
        raise InvalidArgument(f"signer: {signer.address} is not an owner of {tx.safe}")
    approval = approve(tx, signer)
    if signal:
        assert temporal is not None and workflow_id is not None
        from ..temporal import connect, send_approval

        async def send() -> None:
            await send_approval(await connect(temporal), workflow_id, tx, approval)

        anyio.run(send, backend="asyncio")  # Temporal's SDK runs on asyncio
        where = f"signalled to {workflow_id}"
    else:
        where = str(DirectoryApprovals(directory).write(tx, approval))
    Console().print(f"{signer.address} approved Safe {tx.safe} nonce {tx.nonce}: {where}")
    if signal:
        exit_now(0)


@app.command("approvals")
def approvals_command(
    task_file: TaskFile,
    safe: SafeOption,
    rpc: RpcOption,
    directory: DirOption = Path("approvals"),
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    temporal: TemporalOption = None,
    workflow_id: WorkflowIdOption = None,
) -> None:
    """Who has approved the task's transaction of the Safe, whose approvals do not count
    and why, and who is missing: from the approvals directory, or, with --temporal and
    --workflow-id, from the approvals signalled to that run (a query)."""
    task = _task(task_file)
    signal = _on_temporal(temporal, workflow_id)
    tx, owners, threshold = anyio.run(_pending, task, safe, _url(task, rpc))
    source = DirectoryApprovals(directory)
    if signal:
        assert temporal is not None and workflow_id is not None
        from ..temporal import connect, signalled

        async def ask() -> list[dict[str, Any]]:
            return await signalled(await connect(temporal), workflow_id)

        found = []
        for raw in anyio.run(ask, backend="asyncio"):
            try:
                approval = approval_of(tx, raw)
            except (KeyError, TypeError, ValueError) as exc:
                source.unreadable.append(("signal", f"{type(exc).__name__}: {exc}"[:200]))
                continue
            if approval is not None:
                found.append(approval)
    else:
        found = anyio.run(source.approvals, tx)
    result = tally_approvals(tx, found, owners, threshold)
    summary: dict[str, Any] = {
        "safe": tx.safe, "chain_id": tx.chain_id, "nonce": tx.nonce,
        "digest": "0x" + tx.digest().hex(), "threshold": threshold,
        "approved": list(result.valid), "missing": result.missing, "reached": result.reached,
        "rejected": [{"signer": a.signer, "why": why} for a, why in result.rejected],
        "unreadable": [{"file": n, "why": why} for n, why in source.unreadable],
    }  # fmt: skip
    if as_json:
        print(json.dumps(summary))
        if signal:
            exit_now(0)
        return
    table = Table(title=f"Safe {tx.safe} nonce {tx.nonce}: {len(result.valid)} of {threshold}")
    for column in ("owner", "approval"):
        table.add_column(column)
    for owner in owners:
        table.add_row(owner, "[green]signed" if owner in result.valid else "missing")
    for approval, why in result.rejected:
        table.add_row(approval.signer, f"[red]not counted: {why}")
    Console().print(table)
    if signal:
        exit_now(0)
