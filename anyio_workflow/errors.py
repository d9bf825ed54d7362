"""The one error tree of anyio-workflow.

Every error the library raises on purpose is an :class:`AnyioWorkflowError`. Each carries
a one-line ``short_message``, optional ``details``, and its cause in ``__cause__`` (as
viem's errors do), and says whether retrying could help (``transient``). Input that a
pydantic model rejects raises pydantic's ``ValidationError``, which names the field.

::

    AnyioWorkflowError                 base class; .short_message, .details, .transient
    ├── TransientError                 raise it from an agent to ask the retry engine to retry
    │   └── AttemptTimeout             one attempt ran past RetryPolicy.attempt_timeout
    ├── Veto                           raised by a validator: the run must not go ahead
    ├── StepBudgetExceeded             the run would pass AsyncWorkflowConfig.context_length
    ├── UnknownActionError             no agents given and no action registered under that name
    ├── DuplicateRunError              a run with the same idempotency key is already running
    └── RunError                       raised by WorkflowResult.raise_for_status(); has .result
        ├── RunVetoed                  a validator vetoed the run
        ├── RunFailed                  an agent failed, or the step budget ran out
        └── RunTimedOut                the run's deadline passed

Cancellation is not an error of ours: it is the backend's cancellation exception, and it
always propagates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .workflow.result import WorkflowResult

__all__ = [
    "AnyioWorkflowError",
    "AttemptTimeout",
    "DuplicateRunError",
    "RunError",
    "RunFailed",
    "RunTimedOut",
    "RunVetoed",
    "StepBudgetExceeded",
    "TransientError",
    "UnknownActionError",
    "Veto",
    "is_transient",
]


class AnyioWorkflowError(Exception):
    """Base class of every error that anyio-workflow raises on purpose."""

    transient: ClassVar[bool] = False

    def __init__(self, short_message: str, *, details: str | None = None) -> None:
        super().__init__(short_message)
        self.short_message = short_message
        self.details = details

    def __str__(self) -> str:
        if self.details:
            return f"{self.short_message}\n\nDetails: {self.details}"
        return self.short_message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.short_message!r})"


class TransientError(AnyioWorkflowError):
    """Raised by an agent when the failure may pass: the retry engine tries again."""

    transient = True


class AttemptTimeout(TransientError):
    """Raised when one attempt of an agent runs past ``RetryPolicy.attempt_timeout``."""


class Veto(AnyioWorkflowError):
    """Raised by a validator to stop the run before any executor starts."""

    def __init__(self, reason: str, *, details: str | None = None) -> None:
        super().__init__(reason, details=details)
        self.reason = reason


class StepBudgetExceeded(AnyioWorkflowError):
    """Raised when a run would take more steps than ``context_length`` allows."""

    def __init__(self, budget: int) -> None:
        super().__init__(
            f"the run would pass its step budget of {budget} (AsyncWorkflowConfig.context_length)",
            details="Each agent attempt and each ctx.step() is one step; raise context_length "
            "if the run really needs more.",
        )
        self.budget = budget


class UnknownActionError(AnyioWorkflowError, LookupError):
    """Raised when a workflow without agents is given an action nobody registered."""

    def __init__(self, action: str, known: list[str]) -> None:
        listing = ", ".join(sorted(known)) or "(none registered)"
        super().__init__(
            f"task.action: no agents registered for action {action!r}",
            details=f"Known actions: {listing}. Pass agents=[...] or register_action().",
        )
        self.action = action
        self.known = sorted(known)


class DuplicateRunError(AnyioWorkflowError):
    """Raised when a run's idempotency key is already held by a run in progress."""

    def __init__(self, key: str) -> None:
        super().__init__(f"task.idempotency_key: a run with key {key!r} is already in progress")
        self.key = key


class RunError(AnyioWorkflowError):
    """Raised by :meth:`WorkflowResult.raise_for_status` for a run that did not succeed."""

    def __init__(self, short_message: str, result: WorkflowResult) -> None:
        super().__init__(short_message)
        self.result = result


class RunVetoed(RunError):
    """The run was vetoed by a validator; no executor ran."""


class RunFailed(RunError):
    """At least one agent failed, or the run ran out of steps."""


class RunTimedOut(RunError):
    """The run's deadline passed before its executors finished."""


def is_transient(exc: BaseException) -> bool:
    """Whether retrying after ``exc`` could succeed: only errors marked transient are."""
    return getattr(exc, "transient", False) is True
