"""Workflows beyond one machine: an :class:`~anyio_workflow.AsyncWorkflow` run on Temporal,
its agents' attempts as activities, Safe approvals as signals.

An optional extra: ``pip install "anyio-workflow[temporal]"`` (Temporal's SDK, and its CLI
for the dev server). Workers run on asyncio, as Temporal's SDK requires; see
``docs/temporal.md``.
"""

from .activities import Activities
from .approvals import TemporalApprovals
from .client import on_asyncio, result, send_approval, signalled, submit
from .devserver import TemporalDevServer, find_temporal
from .worker import connect, load_workflows, run_worker, worker
from .workflow import WORKFLOW, RunWorkflow

__all__ = [
    "WORKFLOW",
    "Activities",
    "RunWorkflow",
    "TemporalApprovals",
    "TemporalDevServer",
    "connect",
    "find_temporal",
    "load_workflows",
    "on_asyncio",
    "result",
    "run_worker",
    "send_approval",
    "signalled",
    "submit",
    "worker",
]
