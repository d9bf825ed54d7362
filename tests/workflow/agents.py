"""Small, deterministic agents for the engine's tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio

from anyio_workflow import BaseAgent, Role, RunContext, Task, TransientError, Veto


class Gauge:
    """Counts agents running at the same moment and remembers the highest count."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.started = 0

    def enter(self) -> None:
        self.running += 1
        self.started += 1
        self.peak = max(self.peak, self.running)

    def exit(self) -> None:
        self.running -= 1


class Scripted(BaseAgent):
    """Plays a script, one step per attempt: "ok", "transient", "fatal", "veto", "hang".

    The last step repeats when the script runs out. Each attempt yields to the event
    loop ``yields`` times so that agents interleave.
    """

    def __init__(
        self,
        name: str,
        script: Sequence[str] = ("ok",),
        *,
        role: Role = Role.EXECUTOR,
        gauge: Gauge | None = None,
        yields: int = 1,
    ) -> None:
        super().__init__(name)
        self.role = role  # type: ignore[misc]  # tests vary the role per instance
        self.script = list(script)
        self.gauge = gauge
        self.yields = yields
        self.calls = 0
        self.finished = False

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if self.gauge:
            self.gauge.enter()
        try:
            for _ in range(self.yields):
                await anyio.lowlevel.checkpoint()
            if step == "hang":
                await anyio.sleep_forever()
            if step == "transient":
                raise TransientError(f"{self.name}: flaky")
            if step == "fatal":
                raise RuntimeError(f"{self.name}: broken")
            if step == "veto":
                raise Veto(f"{self.name} says no")
            return f"{self.name}:{self.calls}"
        finally:
            if self.gauge:
                self.gauge.exit()
            self.finished = True


class Recorder(BaseAgent):
    """An auditor that keeps what it saw of the run."""

    role = Role.AUDITOR

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.seen: list[tuple[str, Role, str]] = []
        self.status: str | None = None

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        await anyio.lowlevel.checkpoint()
        assert ctx.status is not None
        self.status = ctx.status.value
        self.seen = [(o.agent, o.role, o.status.value) for o in ctx.outcomes]
        return None
