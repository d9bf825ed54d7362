"""Typed progress events and the :class:`EventBus` that fans them out to subscribers.

Every subscriber gets its own unbounded AnyIO memory object stream, so a slow reader
(a progress bar, an audit writer) never slows the run and never misses an event.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..agents.base import Role
from .status import AgentStatus, Phase, RunStatus
from .task import Task

__all__ = [
    "AgentFinished",
    "AgentStarted",
    "AttemptFailed",
    "Event",
    "EventBus",
    "PhaseStarted",
    "RetryScheduled",
    "RunFinished",
    "RunStarted",
    "Vetoed",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base class of all events: which run, and when (the workflow's clock)."""

    run_id: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(Event):
    task: Task
    agents: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseStarted(Event):
    phase: Phase


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStarted(Event):
    agent: str
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptFailed(Event):
    agent: str
    attempt: int
    error: str
    transient: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryScheduled(Event):
    agent: str
    attempt: int
    """The number of the attempt that will follow the delay."""
    delay: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFinished(Event):
    agent: str
    role: Role
    status: AgentStatus
    attempts: int
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vetoed(Event):
    agent: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(Event):
    status: RunStatus
    steps: int


class EventBus:
    """Fans events out to any number of subscribers."""

    def __init__(self) -> None:
        self._subscribers: list[MemoryObjectSendStream[Event]] = []

    @contextmanager
    def subscribe(self) -> Iterator[MemoryObjectReceiveStream[Event]]:
        """Receive every event published while the ``with`` block is open."""
        send, receive = anyio.create_memory_object_stream[Event](math.inf)
        self._subscribers.append(send)
        try:
            with receive:
                yield receive
        finally:
            self._subscribers.remove(send)
            send.close()

    def publish(self, event: Event) -> None:
        for stream in self._subscribers:
            # try/except rather than contextlib.suppress: this is on every event's path.
            try:  # noqa: SIM105
                stream.send_nowait(event)
            except anyio.BrokenResourceError:
                pass  # the subscriber closed its end early: it simply stops receiving
