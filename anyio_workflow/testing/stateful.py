"""A stateful template for workflows whose agents act in many steps: hypothesis draws the
steps (add a payout, inject a fault, run, crash and resume) and checks after each that
what the chain shows is what was asked, once.

Subclass :class:`WorkflowMachine`, give it your agents (:meth:`WorkflowMachine.agents_for`)
and, if you like, more rules and invariants; then
``TestMine = MyMachine.TestCase`` is a test. The machine runs its own event loop in a
thread (an AnyIO blocking portal) on ``backend`` ("asyncio" or "trio"); its rules are
plain methods, as hypothesis's stateful testing wants.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ..agents.transfer import NativeTransferAgent
from ..core.agent import BaseAgent
from ..core.task import Task
from ..devnet.evm import EvmDevnet
from ..errors import InvariantViolated
from ..workflow.engine import AsyncWorkflow
from ..workflow.result import WorkflowResult
from .faults import Crash, Fault, FaultSchedule, faults
from .invariants import Payout, read_chain
from .property import WorkflowEnv, open_env

__all__ = ["WorkflowMachine"]

T = TypeVar("T")

single_faults = st.one_of(
    faults(max_faults=1, latency=False).filter(len).map(lambda s: s.faults[0]),
    st.builds(Crash, after=st.integers(0, 4)),
)
"""One fault at a time, for the next run: a method's call, an outage, or a crash."""


class _Batch:
    def __init__(self, number: int) -> None:
        self.key = f"batch-{number}"
        self.payouts: list[Payout] = []
        self.ran = False
        self.done = False


class WorkflowMachine(RuleBasedStateMachine):
    """Payouts added over time and paid in runs, under faults and crashes, on one devnet.

    Each run pays the batch of payouts added since the last one that succeeded, under
    the faults injected since; a batch whose run failed or crashed is run again by its key
    (resumed from the durable journal) before anything new. After every step: each payout
    of a finished batch is on chain exactly once, one of an unfinished batch at most once,
    and the sender paid nothing else.
    """

    backend: ClassVar[str] = "asyncio"
    node: ClassVar[Literal["revm", "py-evm"]] = "revm"

    def __init__(self) -> None:
        super().__init__()
        self._portal_cm = start_blocking_portal(self.backend)
        self.portal: BlockingPortal = self._portal_cm.__enter__()
        self._tmp = tempfile.TemporaryDirectory(prefix="anyio-workflow-machine-")
        self.journal = Path(self._tmp.name) / "journal.sqlite"
        self.devnet = self.portal.call(self._devnet)
        self.batches = [_Batch(0)]
        self.faults: list[Fault] = []
        self.results: list[WorkflowResult] = []

    async def _devnet(self) -> EvmDevnet:
        return EvmDevnet(backend=self.node)  # in the loop: its lock belongs to that loop

    def teardown(self) -> None:
        self._portal_cm.__exit__(None, None, None)
        self._tmp.cleanup()

    def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``func(*args)`` in the machine's event loop and return its value."""
        return self.portal.call(func, *args)

    # What a subclass changes.

    def agents_for(self, payouts: list[Payout]) -> list[BaseAgent[Any]]:
        """The agents that pay ``payouts`` (by default one native transfer each)."""
        return [NativeTransferAgent(p.to, p.amount) for p in payouts]

    @property
    def sender(self) -> str:
        return self.devnet.accounts[0].address

    # Rules.

    @property
    def open_batch(self) -> _Batch:
        return self.batches[-1]

    # A batch that ran and failed is resumed as it was, not grown.
    @precondition(lambda self: not self.open_batch.ran and len(self.open_batch.payouts) < 6)
    @rule(to=st.integers(1, 9), amount=st.integers(1, 10**15))
    def add_payout(self, to: int, amount: int) -> None:
        self.open_batch.payouts.append(Payout(self.devnet.accounts[to].address, amount))

    @rule(fault=single_faults)
    def inject_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    @precondition(lambda self: bool(self.open_batch.payouts) and not self.open_batch.done)
    @rule()
    def run(self) -> None:
        batch = self.open_batch
        schedule = FaultSchedule(tuple(self.faults))
        self.faults = []
        batch.ran = True
        result = self.call(self._run, batch, schedule)
        self.results.append(result)
        if result.ok:
            batch.done = True
            self.batches.append(_Batch(len(self.batches)))

    async def _run(self, batch: _Batch, schedule: FaultSchedule) -> WorkflowResult:
        async with open_env(
            self.node, schedule, None, devnet=self.devnet, journal=self.journal,
            check_leaks=False,
        ) as env:  # fmt: skip
            task = Task(action="payout", chain_id=self.devnet.chain_id, idempotency_key=batch.key)
            return await env.run(lambda: self._workflow(env, batch), task)

    def _workflow(self, env: WorkflowEnv, batch: _Batch) -> AsyncWorkflow:
        return AsyncWorkflow(
            self.agents_for(batch.payouts), rpc=env.rpc, signer=env.signer(),
            journal=self.journal,
        )  # fmt: skip

    # Invariants.

    @invariant()
    def paid_exactly_once(self) -> None:
        async def read() -> Any:
            async with self.devnet.client() as client:
                return await read_chain(client)

        paid = self.call(read).payouts([self.sender])
        done = Counter(p.normalized() for b in self.batches if b.done for p in b.payouts)
        maybe = Counter(p.normalized() for b in self.batches if not b.done for p in b.payouts)
        problems = []
        for payout in set(done) | set(maybe) | set(paid):
            got = len(paid.get(payout, []))
            if not done[payout] <= got <= done[payout] + maybe[payout]:
                problems.append(
                    f"{payout}: paid {got} times; finished batches {done[payout]}, "
                    f"unfinished {maybe[payout]}"
                )
        if problems:
            raise InvariantViolated("payouts are not exactly once:\n  " + "\n  ".join(problems))
