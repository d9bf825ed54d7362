"""Points where a test harness may choose which ready task goes next.

The engine passes through :func:`interleaving_point` as each agent starts (after it got
its worker slot) and the transaction sender around each broadcast. Outside a harness no
interleaver is set and a point costs one context-variable read; under
:func:`anyio_workflow.testing.workflow_property`, hypothesis chooses the order in which the
tasks waiting at points are released, through AnyIO primitives, on either backend.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol

__all__ = ["CURRENT_INTERLEAVER", "Interleaver", "interleaving_point"]


class Interleaver(Protocol):
    """Holds a task at a point until it chooses to release it."""

    async def point(self, label: str) -> None:
        """Wait here until released.

        Cancellation: the task leaves the point at once and is not released later.
        """
        ...


CURRENT_INTERLEAVER: ContextVar[Interleaver | None] = ContextVar(
    "anyio_workflow_interleaver", default=None
)


async def interleaving_point(label: str) -> None:
    """Let the current interleaver, if any, decide when this task goes on.

    Cancellation: as :meth:`Interleaver.point`; without an interleaver, nothing awaits.
    """
    interleaver = CURRENT_INTERLEAVER.get()
    if interleaver is not None:
        await interleaver.point(label)
