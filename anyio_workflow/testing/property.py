"""``@workflow_property``: property-test a workflow on a fresh devnet, under drawn faults and
drawn interleavings, with hypothesis's own replay and shrinking.

::

    from anyio_workflow.testing import Payout, assert_exactly_once, workflow_property

    @workflow_property()
    async def test_payroll_pays_once(env):
        payouts = [Payout(a.address, 10**15) for a in env.accounts[1:6]]
        result = await env.run(lambda: AsyncWorkflow(
            [NativeTransferAgent(p.to, p.amount) for p in payouts],
            rpc=env.rpc, signer=env.signer(), journal=env.journal,
        ), "payroll")
        await assert_exactly_once(result, env, payouts)

Each example gets a fresh node (the in-process devnet on revm by default; ``backends=``
also takes ``"py-evm"`` and ``"anvil"``), a :class:`~anyio_workflow.testing.faults.FaultSchedule`
drawn from ``faults`` applied to every transport the workflow opens through ``env.rpc``,
and an interleaver through which hypothesis chooses, each time several tasks wait at an
:func:`~anyio_workflow.core.interleave.interleaving_point` (an agent starting, a
transaction about to be broadcast, one just broadcast), which goes next. The test runs
under the AnyIO backend of the test (pytest's ``anyio_backend``), asyncio or trio.

A failure shrinks to the fewest faults and choices that still fail, and is replayed by
hypothesis (``--hypothesis-seed``, ``@reproduce_failure``, its example database): the
schedule and the interleaving's choices are arguments of the example.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import anyio
import anyio.lowlevel
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..agents.transfer import NativeTransferAgent
from ..core.config import AsyncWorkflowConfig
from ..core.interleave import CURRENT_INTERLEAVER
from ..core.task import Task, TaskLike
from ..devnet.anvil import Anvil
from ..devnet.evm import EvmDevnet
from ..devnet.serve import serve_asgi
from ..errors import InvalidArgument, InvariantViolated, one_error
from ..evm.accounts import LocalSigner
from ..journal.journal import SqliteJournal
from ..rpc.client import JsonRpcClient
from ..rpc.transport import HttpTransport, Transport
from ..workflow.engine import AsyncWorkflow
from ..workflow.result import WorkflowResult
from . import payroll as payroll_module
from .faults import FaultSchedule, FaultState, ScheduledTransport
from .faults import faults as fault_schedules
from .invariants import Payout, assert_no_leaks, leak_baseline
from .payroll import PAYROLL_ENV
from .proxy import RpcProxy

__all__ = [
    "DrawnInterleaving",
    "NodeKind",
    "WorkflowEnv",
    "interleavings",
    "run_property",
    "workflow_property",
]

NodeKind = Literal["revm", "py-evm", "anvil"]


def interleavings(max_choices: int = 64) -> st.SearchStrategy[tuple[int, ...]]:
    """The choices of a :class:`DrawnInterleaving`: which waiting task goes next, each
    time several wait (taken modulo how many wait; past the end, the first). Drawn as one
    list, so that the strategy is the same whatever the run's timing; shrinks toward
    first-come, first-served."""
    return st.lists(st.integers(0, 7), max_size=max_choices).map(tuple)


class DrawnInterleaving:
    """An :class:`~anyio_workflow.core.interleave.Interleaver` that follows drawn
    ``choices``: when tasks wait at points, it lets the others arrive (``settle``
    scheduler passes), then releases the one the next choice names.

    Cancellation: :meth:`run` ends when cancelled; a task cancelled while it waits at a
    point leaves it.
    """

    def __init__(self, choices: Sequence[int] = (), *, settle: int = 3) -> None:
        self.choices = tuple(choices)
        self.settle = settle
        self.waiting: list[tuple[str, anyio.Event]] = []
        self.released: list[str] = []
        """The labels of the points passed, in the order they were released."""
        self._used = 0
        self._arrived = anyio.Event()

    async def point(self, label: str) -> None:
        entry = (label, anyio.Event())
        self.waiting.append(entry)
        self._arrived.set()
        try:
            await entry[1].wait()
        except BaseException:
            if entry in self.waiting:
                self.waiting.remove(entry)
            raise

    def _next(self) -> int:
        if len(self.waiting) < 2 or self._used >= len(self.choices):
            return 0
        choice = self.choices[self._used]
        self._used += 1
        return choice % len(self.waiting)

    async def run(self) -> None:
        while True:
            if not self.waiting:
                self._arrived = anyio.Event()
                await self._arrived.wait()
            for _ in range(self.settle):
                await anyio.lowlevel.checkpoint()
            if not self.waiting:
                continue
            label, event = self.waiting.pop(self._next())
            self.released.append(label)
            event.set()


@dataclass
class WorkflowEnv:
    """What a ``@workflow_property`` test is handed: one fresh node and the faults and
    interleaving drawn for this example."""

    kind: NodeKind
    chain_id: int
    accounts: list[LocalAccount]
    schedule: FaultSchedule
    state: FaultState
    interleaving: DrawnInterleaving | None
    journal: Path
    """A fresh durable journal's path for this example (what a crash resumes from)."""
    devnet: EvmDevnet | None = None
    anvil: Anvil | None = None
    crashed: bool = False
    """Whether the schedule's crash struck (and :meth:`run` resumed)."""
    runs: list[WorkflowResult] = field(default_factory=list)

    def _inner(self) -> Transport:
        if self.devnet is not None:
            return self.devnet.transport()
        assert self.anvil is not None
        return HttpTransport(self.anvil.url)

    def transport(self) -> Transport:
        """A transport to the node through this example's fault schedule (all share its
        counts); after a crash, a transport without faults (the new process's)."""
        if self.crashed:
            return self._inner()
        return ScheduledTransport(self._inner(), self.state, control=self._inner())

    @property
    def rpc(self) -> dict[int, Callable[[], Transport]]:
        """What ``AsyncWorkflow(rpc=...)`` takes to reach the node through the faults."""
        return {self.chain_id: self.transport}

    def client(self) -> JsonRpcClient:
        """A client to the node with no faults: for reading what the chain shows."""
        return JsonRpcClient(self._inner())

    def signer(self, index: int = 0) -> LocalSigner:
        """The signer of funded account ``index``."""
        return LocalSigner("0x" + bytes(self.accounts[index].key).hex())

    async def payroll(
        self, payouts: Sequence[Payout], *, config: AsyncWorkflowConfig | None = None
    ) -> WorkflowResult:
        """Pay ``payouts`` (native coin) with the library's :class:`NativeTransferAgent`,
        one each, from account 0, through the faults, with the journal: :meth:`run` of
        the simplest workflow, for properties of the sender itself.

        Cancellation: as :meth:`run`.
        """
        agents = [NativeTransferAgent(p.to, p.amount) for p in payouts]

        def make_workflow() -> AsyncWorkflow:
            return AsyncWorkflow(
                agents, config, rpc=self.rpc, signer=self.signer(), journal=self.journal
            )

        if self.schedule.crashes_a_process:
            return await self._payroll_in_a_child(payouts, config, make_workflow)
        return await self.run(make_workflow, "payroll")

    async def _payroll_in_a_child(
        self,
        payouts: Sequence[Payout],
        config: AsyncWorkflowConfig | None,
        make_workflow: Callable[[], AsyncWorkflow],
    ) -> WorkflowResult:
        """The payroll run by ``anyio-workflow run`` in a child process, through a loopback
        proxy that applies the schedule and SIGKILLs the child at its crash; then the same
        task, by its key, in this process (another process: it resumes from the journal,
        or finds the run the child finished).

        Cancellation: kills the child."""
        task = self._task("payroll", None)
        assert task.idempotency_key is not None
        config = (config or AsyncWorkflowConfig()).model_copy(update={"follow_pending": 0.0})
        spec = {"payouts": [[p.to, p.amount] for p in payouts],
                "config": config.model_dump(mode="json")}  # fmt: skip
        env = {**os.environ, PAYROLL_ENV: json.dumps(spec),
               "ANYIO_WORKFLOW_PRIVATE_KEY": "0x" + bytes(self.accounts[0].key).hex()}  # fmt: skip
        proxy = RpcProxy(ScheduledTransport(self._inner(), self.state, control=self._inner()))
        output = self.journal.with_suffix(".child.log")
        try:
            async with serve_asgi(proxy) as url:
                with output.open("wb") as log:
                    child = await anyio.open_process(
                        [sys.executable, "-m", "anyio_workflow.cli", "run",
                         f"{payroll_module.__file__}:workflow", "--action", task.action,
                         "--chain-id", str(self.chain_id), "--key", task.idempotency_key,
                         "--journal", str(self.journal), "--rpc", f"{self.chain_id}={url}",
                         "--json"],
                        stdout=log, stderr=log, env=env,
                    )  # fmt: skip
                    self.state.on_crash.append(child.kill)
                    try:
                        with anyio.fail_after(120):
                            await child.wait()
                    finally:
                        with anyio.CancelScope(shield=True):
                            if child.returncode is None:
                                child.kill()
                            await child.wait()
        finally:
            with anyio.CancelScope(shield=True):
                await proxy.aclose()
        if self.state.crashed.is_set():
            if child.returncode != -signal.SIGKILL:
                raise InvariantViolated(
                    f"the child was to be killed at the crash; it ended with {child.returncode}:"
                    f"\n{output.read_text(errors='replace')[-3000:]}"
                )
            self.crashed = True
        result = await make_workflow().run(task)
        self.runs.append(result)
        return result

    def _task(self, task: TaskLike, params: dict[str, Any] | None) -> Task:
        if isinstance(task, str):
            task = Task(action=task, params=params or {}, chain_id=self.chain_id)
        elif not isinstance(task, Task):
            task = Task.model_validate({"chain_id": self.chain_id, **task})
        if task.idempotency_key is None:
            task = task.model_copy(update={"idempotency_key": f"property-{id(self)}"})
        return task

    async def run(
        self,
        make_workflow: Callable[[], AsyncWorkflow],
        task: TaskLike,
        *,
        params: dict[str, Any] | None = None,
    ) -> WorkflowResult:
        """Run the workflow ``make_workflow()`` builds on ``task``. When the schedule's
        crash strikes, the run is cut off there (nothing it sends afterwards arrives), and a
        second workflow from ``make_workflow()`` (a new process) runs the same task again,
        by its idempotency key; with ``journal=env.journal`` it resumes from the journal.

        Cancellation: cancels the run (its auditors still record it, shielded).
        """
        if self.schedule.crashes_a_process:
            raise InvalidArgument(
                f"faults: {self.schedule!r} kills a process, which only env.payroll() can "
                "start (env.run takes a workflow of this process)"
            )
        task = self._task(task, params)
        result: WorkflowResult | None = None
        async with anyio.create_task_group() as tg:

            async def cut_off_on_crash() -> None:
                await self.state.crashed.wait()
                tg.cancel_scope.cancel()

            tg.start_soon(cut_off_on_crash)
            first = make_workflow()
            if self.schedule.crashes:  # a process that dies follows nothing afterwards
                first.config = first.config.model_copy(update={"follow_pending": 0.0})
                if isinstance(first.journal, SqliteJournal):  # nor flushes its journal
                    self.state.on_crash.append(first.journal.abandon)
            try:
                result = await first.run(task)
            except Exception:
                if not self.state.crashed.is_set():
                    raise  # what the dead process raised after its death is no outcome
            tg.cancel_scope.cancel()
        if self.state.crashed.is_set():  # the crash cut the run off: a new process takes over
            self.crashed = True
            result = await make_workflow().run(task)
        assert result is not None
        self.runs.append(result)
        return result


@asynccontextmanager
async def open_env(
    kind: NodeKind,
    schedule: FaultSchedule,
    choices: Sequence[int] | None,
    *,
    chain_id: int = 1337,
    check_leaks: bool = True,
    devnet: EvmDevnet | None = None,
    journal: Path | None = None,
) -> AsyncIterator[WorkflowEnv]:
    """A fresh node (or ``devnet``), the schedule's state and the interleaver, for one
    example; the journal's path is a fresh one unless ``journal`` is given.

    Cancellation: stops the node (anvil) and the interleaver.
    """
    if schedule.reorgs and kind != "revm":
        raise InvalidArgument(f"faults: {schedule!r} has reorgs, which need backends=('revm',)")
    baseline = leak_baseline()
    interleaving = DrawnInterleaving(choices) if choices is not None else None
    with tempfile.TemporaryDirectory(prefix="anyio-workflow-property-") as tmp:
        journal = journal or Path(tmp) / "journal.sqlite"
        state = FaultState(schedule)
        with one_error():  # the test's own failure, not a group of one
            async with anyio.create_task_group() as tg:
                token = CURRENT_INTERLEAVER.set(interleaving)
                try:
                    if interleaving is not None:
                        tg.start_soon(interleaving.run)
                    if kind == "anvil":
                        async with Anvil(chain_id=chain_id) as node:
                            yield WorkflowEnv(kind, node.chain_id, node.accounts, schedule, state,
                                              interleaving, journal, anvil=node)  # fmt: skip
                    else:
                        devnet = devnet or EvmDevnet(chain_id=chain_id, backend=kind)
                        yield WorkflowEnv(kind, devnet.chain_id, devnet.accounts, schedule, state,
                                          interleaving, journal, devnet=devnet)  # fmt: skip
                finally:
                    CURRENT_INTERLEAVER.reset(token)
                    tg.cancel_scope.cancel()
    if check_leaks:
        await assert_no_leaks(baseline)


def workflow_property(
    *,
    backends: Sequence[NodeKind] = ("revm",),
    faults: st.SearchStrategy[FaultSchedule] | None = None,
    interleave: bool = True,
    chain_id: int = 1337,
    check_leaks: bool = True,
    max_examples: int | None = None,
    hypothesis_settings: settings | None = None,
) -> Callable[[Callable[..., Awaitable[None]]], Callable[..., Awaitable[None]]]:
    """Turn ``async def test(env, ...)`` into a hypothesis property over fresh nodes
    (``backends``), fault schedules (``faults``; by default :func:`faults()
    <anyio_workflow.testing.faults.faults>`) and interleavings (``interleave``). After
    each example, :func:`~anyio_workflow.testing.assert_no_leaks` (``check_leaks``).
    The test's other parameters stay pytest fixtures. Hypothesis's settings come from
    ``hypothesis_settings`` (by default, the loaded profile's), with no deadline (runs
    wait on I/O) and ``max_examples`` when given."""
    if not backends or set(backends) - {"revm", "py-evm", "anvil"}:
        raise InvalidArgument("backends: some of 'revm', 'py-evm', 'anvil'")
    schedules = faults if faults is not None else fault_schedules()
    if "py-evm" in backends:
        # py-evm sets the recursion limit when first imported: not inside an example,
        # where hypothesis would see the limit change under it.
        importlib.import_module("anyio_workflow.devnet.pyevm")

    def decorate(test: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        signature = inspect.signature(test)
        parameters = list(signature.parameters.values())
        if not parameters:
            raise InvalidArgument(f"{test.__name__}: its first parameter receives the env")

        async def example(
            *args: Any,
            workflow_node: NodeKind,
            fault_schedule: FaultSchedule,
            interleaving: tuple[int, ...],
            **kwargs: Any,
        ) -> None:
            async with open_env(
                workflow_node, fault_schedule, interleaving if interleave else None,
                chain_id=chain_id, check_leaks=check_leaks,
            ) as env:  # fmt: skip
                await test(env, *args, **kwargs)

        example.__name__ = test.__name__
        example.__qualname__ = test.__qualname__
        example.__module__ = test.__module__
        example.__doc__ = test.__doc__
        drawn = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)
            for name in ("workflow_node", "fault_schedule", "interleaving")
        ]
        example.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*parameters[1:], *drawn]
        )
        wrapped = given(
            workflow_node=st.sampled_from(list(backends)),
            fault_schedule=schedules,
            interleaving=interleavings() if interleave else st.just(()),
        )(example)
        base = hypothesis_settings if hypothesis_settings is not None else settings()
        chosen = settings(
            base,
            deadline=None,
            suppress_health_check=[
                *base.suppress_health_check, HealthCheck.too_slow,
                HealthCheck.function_scoped_fixture,
            ],
            max_examples=max_examples if max_examples is not None else base.max_examples,
        )  # fmt: skip
        return cast("Callable[..., Awaitable[None]]", chosen(wrapped))

    return decorate


def run_property(test: Callable[..., Any], *, backend: str = "asyncio") -> None:
    """Run a ``@workflow_property`` test outside pytest (a script, a benchmark), on the
    AnyIO ``backend``; raises what hypothesis raises for a failure.

    Cancellation: not applicable: it runs its own event loop per example.
    """
    inner = test.hypothesis.inner_test  # type: ignore[attr-defined]
    test.hypothesis.inner_test = lambda **kwargs: anyio.run(  # type: ignore[attr-defined]
        functools.partial(inner, **kwargs), backend=backend
    )
    try:
        test()
    finally:
        test.hypothesis.inner_test = inner  # type: ignore[attr-defined]
