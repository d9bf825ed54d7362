"""What a run hands back: :class:`WorkflowResult`, with an :class:`AgentOutcome` per agent."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from ..core.agent import Role
from ..core.outcome import AgentOutcome, Attempt, flatten_output
from ..errors import (
    AuditError,
    NotFound,
    RecordNotStored,
    RunError,
    RunFailed,
    RunTimedOut,
    RunVetoed,
)
from .events import Event
from .status import AgentStatus, RunStatus
from .task import Task

if TYPE_CHECKING:
    from ..audit.record import AuditSummary

__all__ = ["AgentOutcome", "Attempt", "WorkflowResult"]


@dataclass(frozen=True, slots=True, eq=False)
class WorkflowResult(Sequence[Any]):
    """The outcome of one ``AsyncWorkflow.run``.

    It is a sequence, like the seed's ``List[TxReceipt]``: iterating gives the outputs of
    the executors that succeeded, in agent order, with list and tuple outputs flattened,
    reports of several transactions (an output with a ``receipts`` tuple, such as
    ``BatchReport``) replaced by their receipts, and ``None`` left out. Its truth value
    is therefore that of a list; use :attr:`ok` to ask whether the run succeeded, or
    :meth:`raise_for_status`.
    """

    run_id: str
    task: Task
    status: RunStatus
    outcomes: tuple[AgentOutcome, ...]
    events: tuple[Event, ...]
    started_at: float
    finished_at: float
    steps: int
    """Steps the run spent out of ``context_length``."""
    error: BaseException | None = None
    """The veto, the first fatal error, or ``StepBudgetExceeded``; ``None`` on success."""
    receipts: tuple[Any, ...] = field(default=())

    @classmethod
    def build(
        cls,
        *,
        run_id: str,
        task: Task,
        status: RunStatus,
        outcomes: Sequence[AgentOutcome],
        events: Sequence[Event],
        started_at: float,
        finished_at: float,
        steps: int,
        error: BaseException | None,
    ) -> WorkflowResult:
        receipts: list[Any] = []
        for outcome in outcomes:
            if outcome.role is Role.EXECUTOR and outcome.status is AgentStatus.SUCCEEDED:
                receipts.extend(flatten_output(outcome.output))
        return cls(
            run_id=run_id,
            task=task,
            status=status,
            outcomes=tuple(outcomes),
            events=tuple(events),
            started_at=started_at,
            finished_at=finished_at,
            steps=steps,
            error=error,
            receipts=tuple(receipts),
        )

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    def outcome(self, agent: str) -> AgentOutcome:
        """The outcome of the agent with that (unique) name."""
        for outcome in self.outcomes:
            if outcome.agent == agent:
                return outcome
        names = ", ".join(o.agent for o in self.outcomes[:20])
        raise NotFound(f"no agent named {agent!r} in this run (agents: {names})")

    @property
    def audit(self) -> AuditSummary | None:
        """The audit record's CIDs, Merkle root and proofs, from the run's
        :class:`~anyio_workflow.audit.AuditorAgent`; ``None`` without one."""
        from ..audit.record import AuditSummary

        for outcome in self.outcomes:
            if outcome.role is Role.AUDITOR and isinstance(outcome.output, AuditSummary):
                return outcome.output
        return None

    def by_role(self, role: Role) -> tuple[AgentOutcome, ...]:
        return tuple(o for o in self.outcomes if o.role is role)

    def raise_for_status(self) -> WorkflowResult:
        """Return ``self`` if the run succeeded, else raise the matching ``RunError``."""
        if self.ok:
            return self
        error: RunError
        reason = f": {self.error}" if self.error is not None else ""
        if isinstance(self.error, RecordNotStored):
            error = AuditError(f"run {self.run_id} failed: {self.error}", self)
        elif self.status is RunStatus.VETOED:
            error = RunVetoed(f"run {self.run_id} was vetoed{reason}", self)
        elif self.status is RunStatus.TIMED_OUT:
            error = RunTimedOut(f"run {self.run_id} timed out{reason}", self)
        else:
            error = RunFailed(f"run {self.run_id} {self.status.value}{reason}", self)
        raise error from self.error

    def __iter__(self) -> Iterator[Any]:
        return iter(self.receipts)

    def __len__(self) -> int:
        return len(self.receipts)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self.receipts[index]

    def __repr__(self) -> str:
        return (
            f"<WorkflowResult run_id={self.run_id} status={self.status.value} "
            f"agents={len(self.outcomes)} receipts={len(self.receipts)} steps={self.steps}>"
        )
