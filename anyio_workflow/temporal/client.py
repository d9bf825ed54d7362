"""Starting runs on Temporal and reading them back: :func:`submit`, :func:`result`,
:func:`send_approval`, :func:`signalled`.

These talk to Temporal through its Python SDK, which runs on asyncio only: call them
under asyncio (``anyio.run(..., backend="asyncio")``); a trio program calls them in a
thread of their own (``anyio.to_thread.run_sync(anyio.run, fn, backend="asyncio")``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
    WorkflowAlreadyStartedError,
)
from temporalio.exceptions import TemporalError as TemporalSdkError
from temporalio.service import RPCError

from ..compliance.approvals import Approval
from ..compliance.safe import SafeTx
from ..core.status import RunStatus
from ..core.task import Task, TaskLike
from ..errors import RemoteAgentError, RunCancelled, TemporalError
from ..workflow.result import WorkflowResult
from .codec import error_from_json, outcome_from_json
from .workflow import WORKFLOW

__all__ = ["on_asyncio", "result", "send_approval", "signalled", "submit", "temporal_errors"]


@contextmanager
def temporal_errors(what: str) -> Iterator[None]:
    """Temporal's refusals inside the block as :class:`~anyio_workflow.errors.TemporalError`
    (``what`` says which call): every error of ours derives from ``AnyioWorkflowError``."""
    try:
        yield
    except (RPCError, TemporalSdkError) as exc:
        if isinstance(exc, WorkflowFailureError | WorkflowAlreadyStartedError):
            raise  # a run's own end, and a run already there: their callers decide
        raise TemporalError(f"{what}: {type(exc).__name__}: {exc}".splitlines()[0]) from exc


T = TypeVar("T")


async def on_asyncio(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await fn(*args)`` on an asyncio event loop of its own, in a worker thread: how a
    trio program (or any AnyIO code, whatever its backend) talks to Temporal, whose SDK
    runs on asyncio only. ``fn`` makes its own client (``await connect(...)``) there.

    Cancellation: the thread is not cancelled; this waits for ``fn`` to finish (give it
    its own deadline)."""
    return await anyio.to_thread.run_sync(partial(anyio.run, fn, *args, backend="asyncio"))


async def submit(
    client: Client,
    task: TaskLike,
    chain_id: int | str | None = None,
    *,
    task_queue: str,
    workflow: str | None = None,
    params: Mapping[str, Any] | None = None,
    id: str | None = None,
) -> WorkflowHandle[Any, Any]:
    """Start a run of ``task`` on Temporal; its handle (``handle.id`` is the run's key).

    ``workflow`` names the :class:`~anyio_workflow.AsyncWorkflow` among those the workers
    of ``task_queue`` serve (``None``: the only one). The task is validated here, before
    anything is sent. The workflow id is ``id``, else the task's ``idempotency_key``, else
    a new one: submitting a key again while its run is going, or after it finished,
    returns that run, never a second one.

    Cancellation: cancelled before Temporal answered, the run may or may not have
    started; submitting the same key again says which, and never starts two."""
    model = Task.coerce(task, chain_id=chain_id, params=params)
    key = id or model.idempotency_key or f"anyio-workflow-{uuid.uuid4().hex}"
    request = {"workflow": workflow, "task": model.model_dump(mode="json")}
    try:
        with temporal_errors(f"submit {key}"):
            return await client.start_workflow(
                WORKFLOW, request, id=key, task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )  # fmt: skip
    except WorkflowAlreadyStartedError:  # it ran and finished: that run is the answer
        return client.get_workflow_handle(key)


async def result(
    handle: WorkflowHandle[Any, Any], *, trusted: tuple[str, ...] = ()
) -> WorkflowResult:
    """Wait for the run and return its :class:`~anyio_workflow.WorkflowResult`, as a run
    in one process would (its events aside: Temporal's history holds them). Outputs are
    read back through the journal's allow-list, extended by ``trusted`` modules.

    A run that could not even be planned (an unknown workflow name, a task its workers
    refuse) raises that error, as in one process; a run cancelled before it began raises
    :class:`~anyio_workflow.errors.RunCancelled`. A run cancelled while it ran is a result
    with status ``cancelled``.

    Cancellation: only the wait is abandoned; the run goes on."""
    try:
        with temporal_errors(f"result of {handle.id}"):
            summary = await handle.result()
    except WorkflowFailureError as failure:
        raise _cause(failure) from None
    outcomes = [outcome_from_json(o, trusted) for o in summary["outcomes"]]
    return WorkflowResult.build(
        run_id=summary["run_id"], task=Task.model_validate(summary["task"]),
        status=RunStatus(summary["status"]), outcomes=outcomes, events=(),
        started_at=summary["started"], finished_at=summary["finished"],
        steps=summary["steps"], error=error_from_json(summary["error"]),
    )  # fmt: skip


def _cause(failure: WorkflowFailureError) -> Exception:
    """The error that ended a run on Temporal before it had a result, as ours."""
    cause: BaseException | None = failure.cause
    while isinstance(cause, ActivityError | ChildWorkflowError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        rebuilt = error_from_json({"type": cause.type or "ApplicationError",
                                   "message": cause.message})  # fmt: skip
        assert isinstance(rebuilt, Exception)
        return rebuilt
    if isinstance(cause, CancelledError | TerminatedError):
        return RunCancelled(f"the run was {type(cause).__name__[:-5].lower()} before it began")
    return RemoteAgentError(type(cause).__name__, str(cause))


async def send_approval(client: Client, workflow_id: str, tx: SafeTx, approval: Approval) -> None:
    """Signal ``approval`` of ``tx`` to the run ``workflow_id`` (durable once this returns).

    Cancellation: cancelled before Temporal answered, the signal may or may not be in;
    sending it again is harmless (an owner's second approval does not count twice)."""
    with temporal_errors(f"approve {workflow_id}"):
        await client.get_workflow_handle(workflow_id).signal("approve", approval.as_json(tx))


async def signalled(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """The approvals signalled to the run so far, as sent (who signed what).

    Cancellation: a query; cancelled, nothing changed."""
    with temporal_errors(f"approvals of {workflow_id}"):
        found: list[dict[str, Any]] = await client.get_workflow_handle(workflow_id).query(
            "approvals"
        )
    return found
