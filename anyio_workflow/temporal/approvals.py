"""Safe approvals as Temporal signals: :class:`TemporalApprovals`, the
:class:`~anyio_workflow.compliance.ApprovalSource` of a run on Temporal.

An owner's approval is signalled to the run (``anyio-workflow approve ... --temporal
ADDR --workflow-id ID``, or :func:`~anyio_workflow.temporal.send_approval`); Temporal keeps
it in the run's history, so that it survives every worker. The
:class:`~anyio_workflow.compliance.ComplianceAgent` of the run, in its activity, asks the
run for the approvals signalled so far (a query) and waits, heart-beating, for more, for
as long as its ``wait`` says: days, if it must. A worker that dies while it waits is
replaced by another, which finds every approval already signalled.
"""

from __future__ import annotations

from typing import Any

import anyio
from temporalio import activity

from ..compliance.approvals import Approval, approval_of
from ..compliance.safe import SafeTx
from ..errors import UsageError
from .client import temporal_errors

__all__ = ["TemporalApprovals"]


class TemporalApprovals:
    """The approvals signalled to the Temporal run this agent's activity belongs to.

    :param poll: seconds between two queries of the run while waiting.

    Cancellation: both methods are a query and a wait; cancelled, nothing changed.
    """

    def __init__(self, *, poll: float = 0.5) -> None:
        self.poll = poll
        self.unreadable: list[tuple[dict[str, Any], str]] = []
        """Signals that could not be read as approvals: (what came, why)."""

    async def approvals(self, tx: SafeTx) -> list[Approval]:
        if not activity.in_activity():
            raise UsageError(
                "TemporalApprovals: only a run on Temporal has signals (use "
                "InMemoryApprovals or DirectoryApprovals in one process)"
            )
        run = activity.info().workflow_id
        if run is None:
            raise UsageError("TemporalApprovals: this activity belongs to no workflow")
        handle = activity.client().get_workflow_handle(run)
        with temporal_errors(f"approvals of {run}"):  # transient: the wait tries again
            signalled = await handle.query("approvals")
        found, unreadable = [], []
        for raw in signalled:
            try:
                approval = approval_of(tx, raw)
            except (KeyError, TypeError, ValueError) as exc:  # not one of send_approval's
                unreadable.append((raw, f"{type(exc).__name__}: {exc}"[:200]))
                continue
            if approval is not None:
                found.append(approval)
        self.unreadable = unreadable
        return found

    async def wait(self, seconds: float) -> None:
        await anyio.sleep(min(self.poll, seconds))

    def __repr__(self) -> str:
        return f"<TemporalApprovals poll={self.poll}>"
