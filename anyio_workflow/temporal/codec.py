"""What crosses Temporal between the workflow and its activities, as JSON: agent outcomes,
their outputs (pickled, read back through the journal's allow-list) and their errors
(this library's rebuilt as their own class; any other as a
:class:`~anyio_workflow.errors.RemoteAgentError` naming it)."""

from __future__ import annotations

import base64
from typing import Any

from .. import errors
from ..core.outcome import AgentOutcome, Attempt
from ..core.roles import Role
from ..core.status import AgentStatus
from ..errors import AnyioWorkflowError, RemoteAgentError, is_transient
from ..journal.runs import keep, restore

__all__ = ["error_from_json", "error_json", "outcome_from_json", "outcome_json", "pack", "unpack"]

_PLAIN = (str, int, float, bool, type(None))


def pack(value: Any) -> str | None:
    """``value`` pickled, in base64; ``None`` for ``None`` and for what cannot be kept."""
    if value is None:
        return None
    data = keep(value)
    return base64.b64encode(data).decode() if data is not None else None


def unpack(text: str | None, trusted: tuple[str, ...] = ()) -> Any:
    """A value :func:`pack` kept, read back through the journal's allow-list."""
    return None if text is None else restore(base64.b64decode(text), trusted)


def error_json(error: BaseException) -> dict[str, Any]:
    """An agent's error as JSON: its class, message, whether it is transient, and its
    plain attributes (a veto's reason, a transaction error's hashes)."""
    attributes = {
        name: value
        for name, value in vars(error).items()
        if isinstance(value, _PLAIN)
        or (isinstance(value, list | tuple) and all(isinstance(v, _PLAIN) for v in value))
    }
    message = error.short_message if isinstance(error, AnyioWorkflowError) else str(error)
    return {"type": type(error).__name__, "message": message, "transient": is_transient(error),
            "attributes": attributes}  # fmt: skip


def error_from_json(data: dict[str, Any] | None) -> BaseException | None:
    """The error :func:`error_json` described: this library's as its own class."""
    if data is None:
        return None
    kind, message = str(data.get("type", "Exception")), str(data.get("message", ""))
    cls = getattr(errors, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, AnyioWorkflowError)):
        return RemoteAgentError(kind, message)
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.short_message, error.details = message, None
    for name, value in (data.get("attributes") or {}).items():
        setattr(error, name, value)
    return error


def outcome_json(outcome: AgentOutcome) -> dict[str, Any]:
    """An outcome as JSON (times are the workflow's; attempts are counted)."""
    return {
        "agent": outcome.agent, "role": outcome.role.value, "status": outcome.status.value,
        "attempts": len(outcome.attempts), "output": pack(outcome.output),
        "error": error_json(outcome.error) if outcome.error is not None else None,
        "started": outcome.started_at, "finished": outcome.finished_at,
    }  # fmt: skip


def outcome_from_json(data: dict[str, Any], trusted: tuple[str, ...] = ()) -> AgentOutcome:
    """The outcome :func:`outcome_json` (or the Temporal workflow) described."""
    started, finished = data.get("started"), data.get("finished")
    error = error_from_json(data.get("error"))
    attempts = [
        Attempt(number=n + 1, started_at=started or 0.0, finished_at=finished)
        for n in range(int(data.get("attempts") or 0))
    ]
    if attempts:
        attempts[-1].error = error
    return AgentOutcome(
        agent=data["agent"], role=Role(data["role"]), status=AgentStatus(data["status"]),
        attempts=attempts, started_at=started, finished_at=finished,
        output=unpack(data.get("output"), trusted), error=error,
    )  # fmt: skip
