"""``anyio-workflow worker`` and ``anyio-workflow submit``: runs on Temporal (the
``temporal`` extra). Both run on asyncio, as Temporal's SDK requires."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import anyio
import typer
from pydantic import ValidationError

from ..core.task import Task
from ..errors import InvalidArgument
from . import app, console, first_line, run_summary

TemporalOption = Annotated[str, typer.Option("--temporal", help="the Temporal frontend, host:port")]
QueueOption = Annotated[str, typer.Option(help="the Temporal task queue")]
NamespaceOption = Annotated[str, typer.Option(help="the Temporal namespace")]


def exit_now(code: int = 0) -> NoReturn:
    """End a command that used a Temporal client without the interpreter's teardown: the
    SDK's Rust threads can outlive it and abort the process at exit ("PyGILState_Release:
    thread state must be current", temporalio/sdk-python#300), after the work is done."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@app.command()
def worker(
    temporal: TemporalOption,
    task_queue: QueueOption,
    module: Annotated[str, typer.Option(help="the module defining the workflows (import name)")],
    namespace: NamespaceOption = "default",
    heartbeat: Annotated[
        float, typer.Option(min=0.1, help="seconds before a silent worker's attempts move")
    ] = 10.0,
) -> None:
    """Serve the workflows a module defines on a Temporal task queue, until Ctrl-C or
    SIGTERM. Every module-level AsyncWorkflow is served under its variable's name (or the
    module's WORKFLOWS mapping); each needs a journal its workers share and
    NonceManagers(shared=...). Workers run on asyncio (Temporal's SDK requires it); the
    agents are the same AnyIO code a trio program runs."""
    from ..temporal import run_worker

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_stop_on_signal, tg.cancel_scope)

            def ready() -> None:
                console.print(f"worker: serving {module} on {task_queue} at {temporal}")

            await run_worker(
                temporal, task_queue, module, namespace=namespace, heartbeat_timeout=heartbeat,
                ready=ready,
            )  # fmt: skip

    anyio.run(main, backend="asyncio")
    exit_now(0)


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            scope.cancel()
            return


@app.command()
def submit(
    temporal: TemporalOption,
    task_queue: QueueOption,
    action: Annotated[str | None, typer.Option(help="the task's action")] = None,
    params: Annotated[str | None, typer.Option(help="the task's params, as JSON")] = None,
    chain_id: Annotated[int | None, typer.Option(min=1, help="the task's chain")] = None,
    task_file: Annotated[Path | None, typer.Option(help="the task, as a JSON file")] = None,
    key: Annotated[str | None, typer.Option(help="the run's key (its workflow id)")] = None,
    workflow: Annotated[
        str | None, typer.Option(help="the workflow's name among the workers' (default: the only)")
    ] = None,
    namespace: NamespaceOption = "default",
    wait: Annotated[bool, typer.Option(help="wait for the result and print it as JSON")] = False,
) -> None:
    """Start a run on Temporal and print its workflow id (its key: submitting the same key
    again never starts a second run); with --wait, print its result as JSON too."""
    task = _task(action, params, chain_id, task_file, key)
    from ..temporal import connect, result
    from ..temporal import submit as submit_run

    async def main() -> dict[str, Any] | None:
        client = await connect(temporal, namespace)
        handle = await submit_run(client, task, task_queue=task_queue, workflow=workflow)
        print(handle.id, flush=True)
        if not wait:
            return None
        return run_summary(await result(handle))

    summary = anyio.run(main, backend="asyncio")
    if summary is not None:
        print(json.dumps(summary))
    exit_now(1 if summary is not None and summary["status"] != "succeeded" else 0)


def _task(
    action: str | None, params: str | None, chain_id: int | None, task_file: Path | None,
    key: str | None,
) -> Task:  # fmt: skip
    try:
        parsed = json.loads(params) if params is not None else None
        raw: Any = json.loads(task_file.read_text()) if task_file is not None else action
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc.msg}", param_hint="--params") from None
    except OSError as exc:
        raise typer.BadParameter(first_line(exc), param_hint="--task-file") from None
    if raw is None:
        raise typer.BadParameter("give --action or --task-file", param_hint="--action")
    try:
        task = Task.coerce(raw, chain_id=chain_id, params=parsed)
    except (ValidationError, InvalidArgument) as exc:
        raise typer.BadParameter(first_line(exc), param_hint="task") from None
    return task.model_copy(update={"idempotency_key": key}) if key is not None else task
