"""What the journal keeps of runs: each run's task, its agents' outcomes and their
checkpoints, folded from events as transaction intents are.

A run is known by its key: the task's ``idempotency_key``, else its run id. Its events::

    run (the task, the agents) -> resumed* -> agent* / checkpoint* -> finished

Agent outputs and checkpoint values are kept as pickles and read back through an
allow-list (:func:`restore`): builtins, ``decimal``, ``datetime``, ``fractions``,
``collections``, ``uuid``, ``pathlib`` and ``anyio_workflow`` itself, and the modules a
journal is told to trust. A journal is as trusted as the code that reads it; the allow-list keeps a
damaged or foreign file from running code all the same.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import JournalError

__all__ = ["AgentRecord", "RunRecord", "keep", "restore"]

RUN_KINDS = frozenset({"run", "resumed", "agent", "checkpoint", "finished"})
SAFE_MODULES = ("builtins", "decimal", "datetime", "fractions", "collections", "uuid",
                "anyio_workflow", "hexbytes", "pathlib")  # fmt: skip
_UNSAFE_BUILTINS = frozenset({"eval", "exec", "compile", "open", "getattr", "setattr",
                              "delattr", "__import__", "input", "breakpoint", "globals",
                              "vars", "locals", "memoryview", "print", "help"})  # fmt: skip


@dataclass(frozen=True)
class AgentRecord:
    """How one agent of a run ended, as the journal keeps it."""

    agent: str
    role: str
    status: str
    attempts: int
    output: bytes | None
    """The output, pickled; ``None`` when it could not be kept (the agent runs again on
    resume: its sends meet their journaled intents, so nothing is paid twice)."""


@dataclass(frozen=True)
class RunRecord:
    """One run as the journal knows it."""

    key: str
    task: dict[str, Any]
    agents: tuple[str, ...]
    run_ids: tuple[str, ...]
    """The run id of each attempt at it: the first run, then each resume."""
    outcomes: dict[str, AgentRecord] = field(default_factory=dict)
    checkpoints: dict[tuple[str, str], bytes] = field(default_factory=dict)
    status: str | None = None
    """The status it finished with; ``None`` while it has not (it is resumable)."""
    result: bytes | None = None
    """The outcomes of the run that finished (pickled), for a repeat of its key."""

    @property
    def finished(self) -> bool:
        return self.status is not None


def fold_run(record: RunRecord | None, event: dict[str, Any], raw: bytes | None) -> RunRecord:
    """``record`` after ``event``; raises :class:`JournalError` for an impossible one."""
    kind, key = event["kind"], event["key"]
    if kind == "run":
        if record is not None:
            raise JournalError(f"run {key}: begun twice")
        return RunRecord(
            key=key, task=event["task"], agents=tuple(event["agents"]), run_ids=(event["run_id"],)
        )
    if record is None:
        raise JournalError(f"run {key}: {kind} before the run began")
    if kind == "resumed":
        return replace(record, run_ids=(*record.run_ids, event["run_id"]), status=None, result=None)
    if record.finished:
        raise JournalError(f"run {key}: {kind} after it finished")
    if kind == "agent":
        outcome = AgentRecord(
            event["agent"], event["role"], event["status"], event["attempts"], raw
        )
        return replace(record, outcomes={**record.outcomes, outcome.agent: outcome})
    if kind == "checkpoint":
        if raw is None:
            raise JournalError(f"run {key}: checkpoint {event['name']!r} without its value")
        where = (event["agent"], event["name"])
        return replace(record, checkpoints={**record.checkpoints, where: raw})
    return replace(record, status=event["status"], result=raw)  # finished


def keep(value: Any) -> bytes | None:
    """``value`` pickled, or ``None`` when it cannot be (a lambda, an open socket...)."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None


class _AllowList(pickle.Unpickler):
    def __init__(self, data: bytes, trusted: tuple[str, ...]) -> None:
        super().__init__(io.BytesIO(data))
        self.trusted = trusted

    def find_class(self, module: str, name: str) -> Any:
        root = module.split(".")[0]
        allowed = root in SAFE_MODULES or any(
            module == t or module.startswith(t + ".") for t in self.trusted
        )
        if not allowed or (module == "builtins" and name in _UNSAFE_BUILTINS):
            raise JournalError(
                f"the journal holds a {module}.{name}, which it may not restore; trust its "
                f"module with SqliteJournal(path, trusted=({root!r},))"
            )
        return super().find_class(module, name)


def restore(data: bytes, trusted: tuple[str, ...] = ()) -> Any:
    """A value :func:`keep` pickled, read back through the allow-list."""
    try:
        return _AllowList(data, trusted).load()
    except JournalError:
        raise
    except Exception as exc:
        raise JournalError(f"a value in the journal cannot be read back: {exc}") from exc
