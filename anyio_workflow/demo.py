"""The engine demo: a simulated payout run that shows the phases, retries and the audit.

No chain is involved yet: the executors stand in for payouts with a seeded latency and
a seeded chance of a transient failure, so that the retry engine has work to do.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import anyio

from .agents.base import BaseAgent, Role
from .errors import TransientError, Veto
from .workflow.config import AsyncWorkflowConfig, RetryPolicy
from .workflow.context import RunContext
from .workflow.engine import AsyncWorkflow
from .workflow.task import Task

__all__ = ["BudgetValidator", "DigestAuditor", "SimulatedPayout", "build_demo"]


class BudgetValidator(BaseAgent):
    """Vetoes a payout run whose total is over the budget."""

    role = Role.VALIDATOR

    def __init__(self, budget: int, name: str | None = None) -> None:
        super().__init__(name)
        self.budget = budget

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        total = sum(int(p["amount"]) for p in task.params["payouts"])
        if total > self.budget:
            raise Veto(f"total {total} is over the budget of {self.budget}")
        return total


class SimulatedPayout(BaseAgent):
    """Pretends to send one payout: waits a while, and sometimes fails transiently."""

    role = Role.EXECUTOR

    def __init__(self, index: int, latency: float, failures: int) -> None:
        super().__init__(f"payout-{index:03d}")
        self.index = index
        self.latency = latency
        self.failures = failures

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        await anyio.sleep(self.latency)
        if self.failures > 0:
            self.failures -= 1
            raise TransientError(f"{self.name}: node answered 429 (simulated)")
        payout = task.params["payouts"][self.index]
        return {"to": payout["to"], "amount": payout["amount"], "agent": self.name}


class DigestAuditor(BaseAgent):
    """Records every outcome and a SHA-256 digest of them (the audit issue signs and stores it)."""

    role = Role.AUDITOR

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        assert ctx.status is not None
        record = {
            "run_id": ctx.run_id,
            "status": ctx.status.value,
            "outcomes": [
                (o.agent, o.role.value, o.status.value, len(o.attempts)) for o in ctx.outcomes
            ],
        }
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(canonical).hexdigest()


def build_demo(agents: int, *, seed: int = 7) -> tuple[AsyncWorkflow, Task, float]:
    """The demo workflow, its task, and the time the payouts would take one by one."""
    rng = random.Random(seed)
    latencies = [rng.uniform(0.05, 0.4) for _ in range(agents)]
    failures = [1 if rng.random() < 0.2 else 0 for _ in range(agents)]
    payouts = [
        {"to": f"vendor-{i:03d}", "amount": rng.randrange(10**6, 10**9)} for i in range(agents)
    ]
    retry = RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.5)
    workflow = AsyncWorkflow(
        [
            BudgetValidator(budget=10**12),
            *(SimulatedPayout(i, latencies[i], failures[i]) for i in range(agents)),
            DigestAuditor(),
        ],
        AsyncWorkflowConfig(max_workers=8, retry=retry, timeout=60),
        rng=random.Random(seed),
    )
    task = Task(action="payout", params={"payouts": payouts}, chain_id=1)
    sequential = sum(lat * (1 + fail) for lat, fail in zip(latencies, failures, strict=True))
    return workflow, task, sequential
