"""Workers: :func:`load_workflows` finds the workflows a module defines, :func:`worker` runs
them on a Temporal task queue (``anyio-workflow worker --temporal ADDR --task-queue Q
--module M`` is :func:`run_worker`).

Temporal's SDK runs on asyncio only, and so do workers; the agents they run are the same
AnyIO code a trio program runs in one process. A trio program submits runs and reads
results through :mod:`anyio_workflow.temporal.client` in a thread of its own.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from ..errors import NotFound, TemporalError, UsageError
from ..workflow.engine import AsyncWorkflow
from .activities import Activities
from .workflow import RunWorkflow

__all__ = ["connect", "load_workflows", "run_worker", "worker"]


def load_workflows(module: str) -> dict[str, AsyncWorkflow]:
    """The workflows module ``module`` defines: its ``WORKFLOWS`` mapping of name to
    :class:`~anyio_workflow.AsyncWorkflow` if it has one, else every module-level
    ``AsyncWorkflow`` under its variable's name. A module in the working directory is
    found as ``python -m`` would."""
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise NotFound(f"--module: {module!r} cannot be imported ({exc})") from None
    named = getattr(found, "WORKFLOWS", None)
    if named is None:
        named = {n: v for n, v in vars(found).items() if isinstance(v, AsyncWorkflow)}
    if not isinstance(named, Mapping) or not named:
        raise NotFound(f"--module: {module} defines no AsyncWorkflow (nor WORKFLOWS)")
    return dict(named)


def _check(name: str, workflow: AsyncWorkflow) -> None:
    if not isinstance(workflow, AsyncWorkflow):
        raise UsageError(f"workflows[{name!r}]: expected an AsyncWorkflow")
    if workflow.journal is None:
        raise UsageError(
            f"workflows[{name!r}]: a workflow run on Temporal needs a journal its workers "
            "share (AsyncWorkflow(journal=path)): it is what keeps a retried attempt from "
            "paying twice"
        )
    if workflow.nonces.shared is None:
        raise UsageError(
            f"workflows[{name!r}]: workers that send from the same accounts share nonce "
            "leases: give AsyncWorkflow(nonces=NonceManagers(shared=directory))"
        )


def _runner() -> SandboxedWorkflowRunner:
    # The workflow's module is deterministic and imports Temporal only; the package it
    # sits in is passed through rather than imported again inside the sandbox.
    restrictions = SandboxRestrictions.default.with_passthrough_modules("anyio_workflow")
    return SandboxedWorkflowRunner(restrictions=restrictions)


@asynccontextmanager
async def worker(
    client: Client,
    task_queue: str,
    workflows: Mapping[str, AsyncWorkflow],
    *,
    heartbeat_timeout: float = 10.0,
    max_concurrent_activities: int = 200,
    identity: str | None = None,
) -> AsyncIterator[Worker]:
    """Serve ``workflows`` (by name) on ``task_queue`` while the block runs: the workflows
    are opened (their RPC clients live as long as the worker), and Temporal's worker
    polls for runs and their agents' attempts.

    Each workflow needs a journal the workers share and shared nonce leases
    (:class:`UsageError` otherwise): they are what makes an attempt retried on another
    worker pay nothing twice.

    Cancellation: leaving the block (cancelled or not) stops the worker, which cancels the
    attempts it runs; Temporal gives them to another worker."""
    for name, workflow in workflows.items():
        _check(name, workflow)
    activities = Activities(workflows, heartbeat_timeout=heartbeat_timeout)
    async with AsyncExitStack() as stack:
        for workflow in workflows.values():
            await stack.enter_async_context(workflow)
        found = Worker(
            client, task_queue=task_queue, workflows=[RunWorkflow],
            activities=[activities.plan, activities.attempt], workflow_runner=_runner(),
            max_concurrent_activities=max_concurrent_activities, identity=identity,
            # A run cached on a worker that died moves to another after this long (the
            # SDK's default is 10 s): as soon as its attempts do.
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=heartbeat_timeout),
        )  # fmt: skip
        async with found:
            yield found


async def connect(address: str, namespace: str = "default") -> Client:
    """A Temporal client of ``address`` (``host:port``).

    Raises :class:`~anyio_workflow.errors.TemporalError` when it cannot connect.

    Cancellation: cancelled while connecting, nothing is left open."""
    try:
        return await Client.connect(address, namespace=namespace)
    except RuntimeError as exc:  # the SDK's "Failed client connect: ..."
        detail = str(exc).splitlines()[0][:300]
        raise TemporalError(f"temporal: cannot connect to {address}: {detail}") from None


async def run_worker(
    address: str,
    task_queue: str,
    module: str,
    *,
    namespace: str = "default",
    heartbeat_timeout: float = 10.0,
    ready: Any = None,
) -> None:
    """Serve the workflows of ``module`` on ``task_queue`` until cancelled (what
    ``anyio-workflow worker`` runs). ``ready``, if given, is called once the worker polls.

    Cancellation: the way to stop it; the worker's attempts go to another worker."""
    workflows = load_workflows(module)
    client = await connect(address, namespace)
    async with worker(client, task_queue, workflows, heartbeat_timeout=heartbeat_timeout):
        if ready is not None:
            ready()
        await anyio.sleep_forever()
