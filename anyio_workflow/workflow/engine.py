"""The engine: :class:`AsyncWorkflow` runs validators, executors and auditors in task groups.

A run has three phases. Validators run concurrently; a veto or an error cancels the
others and no executor runs. Executors run concurrently under a ``CapacityLimiter`` of
``max_workers``, each wrapped by the retry engine; with ``fail_fast`` a fatal failure
cancels its siblings through the task group's cancel scope. Auditors always run last,
inside a shielded scope with its own timeout, whatever happened before.

Every task lives in a task group that ``run`` waits for, so nothing outlives a run.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, AsyncExitStack
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Self

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from ..agents.auditor import AuditorAgent
from ..chains.caip import ChainRef
from ..core.agent import BaseAgent
from ..core.config import AsyncWorkflowConfig
from ..core.interleave import interleaving_point
from ..core.outcome import AgentOutcome, Attempt
from ..core.roles import Role
from ..core.status import AgentStatus, Phase, RunStatus
from ..core.task import Task, TaskLike
from ..errors import (
    AttemptTimeout,
    DeadlinePassed,
    DuplicateRunError,
    InvalidArgument,
    InvalidType,
    NotFound,
    RecordNotStored,
    StepBudgetExceeded,
    UsageError,
    Veto,
    is_transient,
    one_error,
    single_error,
)
from ..evm.accounts import Signer
from ..evm.nonce import NonceManagers
from ..journal.journal import Journal, SqliteJournal
from ..journal.runs import RunRecord
from ..rpc.client import JsonRpcClient
from ..storage.local import default_store
from ..storage.stores import ContentStore
from . import registry
from .context import CURRENT_AGENT, CURRENT_PROTECTION, WorkflowContext
from .events import (
    AgentFinished,
    AgentStarted,
    AttemptFailed,
    Event,
    EventBus,
    PhaseStarted,
    RetryScheduled,
    RunFinished,
    RunStarted,
    Vetoed,
)
from .remote import AgentAttempt, Sent
from .result import WorkflowResult
from .rpcpool import RpcMap, RpcPool

__all__ = ["AsyncWorkflow"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class AsyncWorkflow:
    """Runs a task across role-based agents, safely and concurrently.

    :param agents: the agents of every run. ``None`` means "the agents registered for
        the task's action" (see :func:`register_action`); an empty list is refused.
    :param config: run-time settings (:class:`AsyncWorkflowConfig`, or a mapping of them).
    :param clock: the clock for timings and events; ``time.monotonic`` by default
        (cheaper than ``anyio.current_time``, and only records are read from it: deadlines
        are the event loop's).
    :param sleep: the retry engine's sleep; ``anyio.sleep`` by default. With ``clock``,
        it lets tests run retries in virtual time.
    :param rng: the random source of backoff jitter (seed it for reproducible runs).
    :param limiter: a ``CapacityLimiter`` to share between workflows; when given, it
        rather than ``max_workers`` bounds how many agents run at once.
    :param rpc: JSON-RPC endpoints per chain id, for ``ctx.rpc()`` and ``ctx.eth()``: a
        URL, a list of URLs (one ``FallbackTransport`` when ``config.rpc_fallback``), or a
        transport factory. Inside ``async with workflow:`` the clients live across runs.
    :param signer: the key the built-in agents pay with unless given their own
        (``ctx.signer``).
    :param store: where records are stored (``ctx.store``); the built-in auditor's store.
    :param auditor: the auditor added to registry-built runs when ``auto_store_proofs`` is
        on; an :class:`~anyio_workflow.agents.AuditorAgent` of its own when not given.
    :param nonces: the nonce managers of the accounts this workflow sends from; one of its
        own when not given. Workflows that send from one account at the same time must
        share one.
    :param journal: where every transaction's intent and signed bytes are recorded before
        they act: a :class:`~anyio_workflow.journal.Journal`, or a path for a
        :class:`~anyio_workflow.journal.SqliteJournal` (``ctx.journal``).
    :param services: anything else the user's agents need, as ``ctx.services``.
    """

    def __init__(
        self,
        agents: Sequence[BaseAgent[Any]] | None = None,
        config: AsyncWorkflowConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        limiter: anyio.CapacityLimiter | None = None,
        rpc: RpcMap | None = None,
        signer: Signer | None = None,
        store: ContentStore | None = None,
        auditor: BaseAgent[Any] | None = None,
        nonces: NonceManagers | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        **services: Any,
    ) -> None:
        if isinstance(agents, BaseAgent):
            raise InvalidType("agents: give a list of agents, not one agent: [agent]")
        if agents is not None:
            agents = list(agents)
            if not agents:
                raise InvalidArgument("agents: Minimum 1 agent required for compliance")
            for index, agent in enumerate(agents):
                _check_agent(index, agent)
        for name, place in _MOVED_SERVICES.items():
            if name in services:
                raise InvalidArgument(f"{name}: no longer a service; give it as {place}")
        if signer is not None and not isinstance(signer, Signer):
            raise InvalidType(f"signer: expected a Signer, got {type(signer).__name__}")
        if auditor is not None:
            _check_agent(0, auditor, field="auditor")
            if auditor.role is not Role.AUDITOR:
                raise InvalidArgument(f"auditor: {auditor.name} is not an auditor")
        self.agents: tuple[BaseAgent[Any], ...] | None = (
            tuple(agents) if agents is not None else None
        )
        if config is None:
            config = AsyncWorkflowConfig()
        elif not isinstance(config, AsyncWorkflowConfig):
            config = AsyncWorkflowConfig.model_validate(config)
        self.config: AsyncWorkflowConfig = config
        self.services: Mapping[str, Any] = MappingProxyType(dict(services))
        self.signer = signer
        self.store = store
        self.nonces = nonces if nonces is not None else NonceManagers()
        self.journal: Journal | None = (
            journal if journal is None or isinstance(journal, Journal) else SqliteJournal(journal)
        )
        self._clock: Clock = clock or time.monotonic
        self._sleep: Sleep = sleep or anyio.sleep
        self._rng = rng or random.Random()
        self._limiter = limiter
        self._rpc = RpcPool(rpc or {}, fallback=self.config.rpc_fallback)
        self._clients: dict[ChainRef, JsonRpcClient] | None = None
        self._stack: AsyncExitStack | None = None
        self._bus = EventBus()
        self._inflight: set[str] = set()
        self._completed: dict[str, WorkflowResult] = {}
        self._auditor: BaseAgent[Any] | None = auditor

    def replace(
        self,
        *,
        rpc: RpcMap | None = None,
        signer: Signer | None = None,
        store: ContentStore | None = None,
        **services: Any,
    ) -> AsyncWorkflow:
        """A copy with the same agents, config, auditor and nonce managers, whose ``rpc``
        entries, signer, store and services are updated by those given (what
        ``anyio-workflow run --rpc`` does)."""
        return AsyncWorkflow(
            self.agents,
            self.config,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
            limiter=self._limiter,
            rpc=self._rpc.merged(rpc),
            signer=signer if signer is not None else self.signer,
            store=store if store is not None else self.store,
            auditor=self._auditor,
            nonces=self.nonces,
            journal=self.journal,
            **{**self.services, **services},
        )

    def _default_auditor(self) -> BaseAgent[Any]:
        """The auditor of runs that have none while ``auto_store_proofs`` is on: one per
        workflow, so that its records chain. The one given as ``auditor=``, else an
        ``AuditorAgent`` that signs with a key of its own and stores in the workflow's
        ``store``, else in the user's data directory (``storage.local.default_store``)."""
        if self._auditor is None:
            self._auditor = AuditorAgent(store=self.store or default_store())
        return self._auditor

    @property
    def auditor(self) -> BaseAgent[Any] | None:
        """The auditor the workflow adds to runs without one (after the first run)."""
        return self._auditor

    async def __aenter__(self) -> Self:
        """Open the RPC clients for every run until the block ends.

        Cancellation: cancelled while opening, the clients opened so far are closed.
        """
        if self._stack is not None:
            raise UsageError("this AsyncWorkflow is already open")
        async with AsyncExitStack() as stack:
            self._clients = await self._rpc.open(stack)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        stack, self._stack, self._clients = self._stack, None, None
        if stack is not None:
            with one_error():
                await stack.__aexit__(*exc_info)

    @property
    def web3_agents(self) -> tuple[BaseAgent[Any], ...] | None:
        """The seed's name for :attr:`agents`."""
        return self.agents

    def subscribe(self) -> AbstractContextManager[MemoryObjectReceiveStream[Event]]:
        """Receive this workflow's events, from every run, while the ``with`` block is open.

        ::

            with workflow.subscribe() as events:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(show_progress, events)
                    result = await workflow.run(task)
        """
        return self._bus.subscribe()

    async def run(
        self,
        task: TaskLike,
        chain_id: int | str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> WorkflowResult:
        """Run ``task`` through the three phases and return what happened.

        ``task`` is an action name (with ``params=``), a mapping or a :class:`Task`;
        ``chain_id`` (an EVM chain id, or a CAIP-2 id: ``"eip155:137"``,
        ``"solana:..."``) defaults to the task's own, else 1. A malformed task raises
        ``ValidationError`` or :class:`InvalidArgument` before any agent runs.

        A vetoed, failed or timed-out run is not an exception: it is a result with that
        status (see :meth:`WorkflowResult.raise_for_status`). Cancellation from outside
        propagates as the backend's cancellation exception once the agents have been
        cancelled and the auditors, shielded, have recorded the cancelled run; nothing
        the run started is still running when it returns or raises.
        """
        model = Task.coerce(task, chain_id=chain_id, params=params)
        agents = list(self.agents) if self.agents is not None else registry.agents_for(model)
        if self.config.auto_store_proofs and not any(a.role is Role.AUDITOR for a in agents):
            agents.append(self._default_auditor())  # every run is recorded
        key = model.idempotency_key
        if key is not None:
            if key in self._completed:
                return self._completed[key]
            if key in self._inflight:
                raise DuplicateRunError(key)
            self._inflight.add(key)
        run_id = uuid.uuid4().hex
        journal, journal_key = self.journal, key or run_id
        try:
            earlier = None
            if journal is not None:  # held for this run: another process is told
                earlier = await journal.begin(
                    journal_key, run_id=run_id, task=model.model_dump(mode="json"),
                    agents=_unique_names(agents),
                )  # fmt: skip
            try:
                if earlier is not None and earlier.status == RunStatus.SUCCEEDED.value:
                    assert journal is not None
                    result = _finished_before(journal, earlier, model, agents, self._clock())
                else:
                    async with AsyncExitStack() as stack:
                        clients = self._clients
                        if clients is None:
                            clients = await self._rpc.open(stack)
                        run = _Run(self, model, agents, clients, run_id=run_id, earlier=earlier)
                        result = await run.execute()
            finally:
                if journal is not None:  # the run's last states, queued: on disk now
                    await journal.hand_over(journal_key)
        finally:
            if key is not None:
                self._inflight.discard(key)
        if key is not None and result.ok:
            self._completed[key] = result
        return result

    async def submit(
        self,
        client: Any,
        task: TaskLike,
        chain_id: int | str | None = None,
        *,
        task_queue: str,
        workflow: str | None = None,
        params: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> Any:
        """Start a run of ``task`` on Temporal, through ``client`` (a
        ``temporalio.client.Client``), for the workers of ``task_queue`` that serve this
        workflow under the name ``workflow`` (``None``: their only one); its handle.
        ``anyio_workflow.temporal.result(handle)`` waits for its :class:`WorkflowResult`.
        Needs the ``temporal`` extra (``pip install "anyio-workflow[temporal]"``); see
        :func:`anyio_workflow.temporal.submit`, which this calls.

        Cancellation: as :func:`anyio_workflow.temporal.submit`'s: submitting the same
        key again never starts two runs."""
        from ..temporal.client import submit  # the optional extra: imported when used

        return await submit(
            client, task, chain_id, task_queue=task_queue, workflow=workflow, params=params,
            id=id,
        )  # fmt: skip

    def plan(
        self,
        task: TaskLike,
        chain_id: int | str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> tuple[Task, list[tuple[str, BaseAgent[Any]]]]:
        """The task as a run of it sees it, and the agents such a run has (the auditor
        ``auto_store_proofs`` adds included), each under its unique name: what an engine
        that runs the agents elsewhere schedules (:mod:`anyio_workflow.temporal`). Raises
        as :meth:`run` does for a malformed task."""
        model = Task.coerce(task, chain_id=chain_id, params=params)
        agents = list(self.agents) if self.agents is not None else registry.agents_for(model)
        if self.config.auto_store_proofs and not any(a.role is Role.AUDITOR for a in agents):
            agents.append(self._default_auditor())
        return model, list(zip(_unique_names(agents), agents, strict=True))

    def attempt(
        self,
        task: Task,
        agent: str,
        *,
        key: str,
        run_id: str,
        outcomes: Sequence[AgentOutcome] = (),
        status: RunStatus | None = None,
        sent: Sequence[Sent] = (),
        steps: int = 0,
        elapsed: float = 0.0,
    ) -> AgentAttempt:
        """One attempt of the agent named ``agent`` (its unique name in :meth:`plan`) of
        the run ``key``, whose phases are driven elsewhere (a Temporal workflow): call
        ``await attempt.run()``. ``outcomes`` are the run's outcomes so far (the agent's
        own is made anew), ``status`` the run's (for auditors), ``sent`` what the run's
        agents sent elsewhere, ``steps`` the steps spent, ``elapsed`` the seconds since the
        run began. Its transactions are journaled under ``key`` with the workflow's
        journal: an attempt that runs again meets them."""
        planned = dict(self.plan(task)[1])
        if agent not in planned:
            raise NotFound(f"agent: {agent!r} is not an agent of a run of this task")
        chosen = planned[agent]
        known = {o.agent: o for o in outcomes if o.agent != agent}
        outcome = AgentOutcome(agent=agent, role=chosen.role)
        # In plan order: the agent's own outcome where it stands, the others as known (or
        # pending: a phase still to come).
        everyone = [
            outcome if name == agent else known.get(name) or AgentOutcome(agent=name, role=a.role)
            for name, a in planned.items()
        ]

        def context(clients: Mapping[ChainRef, JsonRpcClient]) -> WorkflowContext:
            ctx = WorkflowContext(
                run_id=run_id, task=task, config=self.config, services=self.services,
                clients=clients, outcomes=everyone, clock=self._clock, signer=self.signer,
                store=self.store, nonces=self.nonces, journal=self.journal, key=key,
                sent_elsewhere=sent,
            )  # fmt: skip
            ctx.steps, ctx.status = steps, status
            ctx.started_at -= elapsed
            return ctx

        async def clients(stack: AsyncExitStack) -> Mapping[ChainRef, JsonRpcClient]:
            return self._clients if self._clients is not None else await self._rpc.open(stack)

        follow = min(self.config.follow_pending, self.config.audit_timeout / 2)
        return AgentAttempt(chosen, outcome, context, clients, follow=follow)

    async def resume(self, key: str) -> WorkflowResult:
        """Run again the run the journal knows under ``key`` (its idempotency key, or the
        run id of a run without one), with the task it was recorded with: agents that
        succeeded keep their outcomes, every transaction it signed is reconciled with the
        chain before anything new is sent. A run that succeeded returns its result and
        sends nothing. Raises :class:`NotFound` for a key the journal does not know, and
        :class:`UsageError` without a journal.

        Cancellation: as :meth:`run`; the run stays resumable."""
        if self.journal is None:
            raise UsageError("resume: this workflow has no journal (AsyncWorkflow(journal=...))")
        await self.journal.refresh()
        record = self.journal.run(key)
        task = Task.model_validate({**record.task, "idempotency_key": key})
        return await self.run(task)

    def __repr__(self) -> str:
        count = "registry" if self.agents is None else str(len(self.agents))
        return f"<AsyncWorkflow agents={count} max_workers={self.config.max_workers}>"


_MOVED_SERVICES = {
    "custom_fees": 'AsyncWorkflowConfig(gas_strategy="custom", custom_fees=CustomFees(...))',
    "auditor_signer": "AsyncWorkflow(auditor=AuditorAgent(signer=...))",
}


def _check_agent(index: int, agent: object, field: str | None = None) -> None:
    where = field or f"agents[{index}]"
    if not isinstance(agent, BaseAgent):
        raise InvalidType(f"{where}: expected a BaseAgent, got {type(agent).__name__}")
    if not isinstance(agent.role, Role):
        raise InvalidType(f"{where} ({agent.name}): role must be a Role, got {agent.role!r}")


def _unique_names(agents: Sequence[BaseAgent[Any]]) -> list[str]:
    counts = Counter(agent.name for agent in agents)
    return [
        agent.name if counts[agent.name] == 1 else f"{agent.name}[{index}]"
        for index, agent in enumerate(agents)
    ]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Run:
    """The state of one run; lives for one call of ``AsyncWorkflow.run``."""

    def __init__(
        self,
        workflow: AsyncWorkflow,
        task: Task,
        agents: list[BaseAgent[Any]],
        clients: Mapping[ChainRef, JsonRpcClient],
        *,
        run_id: str,
        earlier: RunRecord | None = None,
    ) -> None:
        self.config = workflow.config
        self.journal = workflow.journal
        self.clock = workflow._clock
        self.sleep = workflow._sleep
        self.rng = workflow._rng
        self.bus = workflow._bus
        self.limiter = workflow._limiter
        self.task = task
        self.run_id = run_id
        self.key = task.idempotency_key or run_id
        self.events: list[Event] = []
        self.status: RunStatus | None = None
        self.error: BaseException | None = None
        self.members: dict[Role, list[tuple[BaseAgent[Any], AgentOutcome]]] = {
            role: [] for role in Role
        }
        outcomes: list[AgentOutcome] = []
        for agent, name in zip(agents, _unique_names(agents), strict=True):
            outcome = AgentOutcome(agent=name, role=agent.role)
            outcomes.append(outcome)
            if earlier is not None and agent.role is not Role.AUDITOR:
                _keep_earlier(workflow.journal, earlier, outcome)
            if not outcome.resumed:  # an agent that succeeded in the run before is done
                self.members[agent.role].append((agent, outcome))
        self.outcomes = outcomes
        self.ctx = WorkflowContext(
            run_id=self.run_id,
            task=task,
            config=self.config,
            services=workflow.services,
            clients=clients,
            outcomes=outcomes,
            clock=self.clock,
            signer=workflow.signer,
            store=workflow.store,
            nonces=workflow.nonces,
            journal=workflow.journal,
        )

    def emit(self, event: Event) -> None:
        self.events.append(event)
        self.bus.publish(event)

    def deadline(self) -> float:
        """Seconds this run may take before its auditors: config.timeout or task.deadline."""
        timeout = self.config.timeout if self.config.timeout is not None else float("inf")
        if self.task.deadline is not None:
            left = (self.task.deadline - datetime.now(UTC)).total_seconds()
            timeout = min(timeout, max(left, 0.0))
        return timeout

    async def execute(self) -> WorkflowResult:
        started = self.clock()
        self.emit(
            RunStarted(
                run_id=self.run_id,
                at=started,
                task=self.task,
                agents=tuple(o.agent for o in self.outcomes),
            )
        )
        try:
            limit = self.deadline()
            with anyio.move_on_after(limit) as scope:
                await self.phase(Phase.VALIDATE)
                if self.status is None:
                    await self.phase(Phase.EXECUTE)
            if scope.cancelled_caught and self.status is None:
                self.status = RunStatus.TIMED_OUT
                cut = [
                    o.agent
                    for o in self.outcomes
                    if o.status is AgentStatus.CANCELLED and o.role is not Role.AUDITOR
                ]
                self.error = DeadlinePassed(
                    f"the run's deadline ({limit:.3g} s) passed; cut short: "
                    f"{', '.join(cut[:20]) or 'none'}"
                    + (f" and {len(cut) - 20} more" if len(cut) > 20 else "")
                )  # fmt: skip
            elif self.status is None:
                self.settle()
        except anyio.get_cancelled_exc_class():
            self.status = RunStatus.CANCELLED
            raise
        except BaseException as exc:
            # Not an agent's error (those are caught per agent): a bug, or KeyboardInterrupt.
            self.status = RunStatus.FAILED
            self.error = exc
            raise
        finally:
            await self.audit()
        assert self.status is not None  # every path above set it
        return WorkflowResult.build(
            run_id=self.run_id,
            task=self.task,
            status=self.status,
            outcomes=self.outcomes,
            events=self.events,
            started_at=started,
            finished_at=self.clock(),
            steps=self.ctx.steps,
            error=self.error,
        )

    def settle(self) -> None:
        """Decide the status of a run whose executors all finished."""
        for outcome in self.outcomes:
            if outcome.role is Role.EXECUTOR and outcome.status in _FAILURES:
                self.status = RunStatus.FAILED
                self.error = outcome.error
                return
        self.status = RunStatus.SUCCEEDED

    async def audit(self) -> None:
        """Run the auditors, shielded, after everything else; then close the run."""
        assert self.status is not None
        for outcome in self.outcomes:
            if outcome.status is AgentStatus.PENDING and outcome.role is not Role.AUDITOR:
                outcome.status = AgentStatus.SKIPPED
        self.ctx.status = self.status
        if self.members[Role.AUDITOR] and self.ctx.unsettled():
            # Sent, and its agent stopped waiting (failed, cancelled, out of time): follow
            # it a little longer, so that the record says what became of it.
            follow = min(self.config.follow_pending, self.config.audit_timeout / 2)
            with anyio.CancelScope(shield=True):
                await self.ctx.follow(follow)
        with anyio.move_on_after(self.config.audit_timeout, shield=True):
            await self.phase(Phase.AUDIT)
        for outcome in self.outcomes:
            if outcome.status is AgentStatus.PENDING:
                outcome.status = AgentStatus.SKIPPED
        self.check_recorded()
        if self.journal is not None:  # durable, shielded: a resume knows how it ended
            await self.journal.finish(self.key, self.status.value)
        self.emit(
            RunFinished(
                run_id=self.run_id, at=self.clock(), status=self.status, steps=self.ctx.steps
            )
        )

    def check_recorded(self) -> None:
        """With ``auto_store_proofs``, a run whose auditors did not all finish (failed,
        timed out, cancelled) is not a success: nobody could audit it."""
        if not self.config.auto_store_proofs or self.status is not RunStatus.SUCCEEDED:
            return
        for outcome in self.outcomes:
            if outcome.role is Role.AUDITOR and outcome.status is not AgentStatus.SUCCEEDED:
                why = (
                    f"{outcome.status.value}: {_describe(outcome.error)}"
                    if outcome.error is not None
                    else f"{outcome.status.value} (audit_timeout {self.config.audit_timeout} s)"
                )
                error = RecordNotStored(f"the run's record was not stored: {outcome.agent} {why}")
                error.__cause__ = outcome.error
                self.status, self.error = RunStatus.FAILED, error
                return

    async def phase(self, phase: Phase) -> None:
        members = self.members[_ROLE_OF[phase]]
        if not members:
            return
        self.emit(PhaseStarted(run_id=self.run_id, at=self.clock(), phase=phase))
        limiter = self.limiter or anyio.CapacityLimiter(self.config.max_workers)
        async with anyio.create_task_group() as tg:
            for agent, outcome in members:
                tg.start_soon(self.agent_task, agent, outcome, limiter, tg.cancel_scope)

    async def agent_task(
        self,
        agent: BaseAgent[Any],
        outcome: AgentOutcome,
        limiter: anyio.CapacityLimiter,
        scope: anyio.CancelScope,
    ) -> None:
        CURRENT_AGENT.set(outcome.agent)  # this task's own copy of the context
        CURRENT_PROTECTION.set(getattr(agent, "protection", None))
        try:
            async with limiter:
                await interleaving_point(f"start {outcome.agent}")
                await self.attempts(agent, outcome)
        except anyio.get_cancelled_exc_class():
            outcome.status = AgentStatus.CANCELLED
            outcome.finished_at = self.clock()
            if outcome.attempts and outcome.attempts[-1].finished_at is None:
                outcome.attempts[-1].finished_at = outcome.finished_at
            self.finished(outcome)
            raise
        if outcome.status in _FAILURES and self.is_fatal(outcome):
            if self.status is None:
                vetoed = outcome.status is AgentStatus.VETOED and outcome.role is Role.VALIDATOR
                self.status = RunStatus.VETOED if vetoed else RunStatus.FAILED
                self.error = outcome.error
            scope.cancel()

    def is_fatal(self, outcome: AgentOutcome) -> bool:
        """Whether this failure ends the phase (and so, but for auditors, the run)."""
        if outcome.role is Role.AUDITOR:
            return False
        if outcome.role is Role.VALIDATOR or self.ctx.exhausted:
            return True
        return self.config.fail_fast

    async def attempts(self, agent: BaseAgent[Any], outcome: AgentOutcome) -> None:
        """The retry engine: call ``agent.execute`` until it succeeds or must stop."""
        policy = self.config.retry
        ctx = self.ctx
        charged = outcome.role is not Role.AUDITOR
        # One clock reading per event: on the hot path the clock is not free.
        now = outcome.started_at = self.clock()
        self.emit(AgentStarted(run_id=self.run_id, at=now, agent=outcome.agent, role=outcome.role))
        for number in range(1, policy.attempts + 1):
            attempt = Attempt(number=number, started_at=now)
            outcome.attempts.append(attempt)
            if number > 1 and self.journal is not None:
                # The retry meets what earlier attempts sent (mined, or maybe on its way),
                # as a resume would, instead of paying it again.
                self.journal.retake(self.key, outcome.agent)
            try:
                if charged:
                    ctx.step()
                if policy.attempt_timeout is None:
                    output = await agent.execute(self.task, ctx)
                else:
                    output = await self.timed_attempt(agent, policy.attempt_timeout)
            except Exception as raised:
                # An agent's own task group wraps one failure in a group: record the one.
                exc = single_error(raised)
                now = attempt.finished_at = self.clock()
                attempt.error = exc
                transient = is_transient(exc)
                self.emit(
                    AttemptFailed(
                        run_id=self.run_id,
                        at=now,
                        agent=outcome.agent,
                        attempt=number,
                        error=_describe(exc),
                        transient=transient,
                    )
                )
                if transient and number < policy.attempts and not ctx.exhausted:
                    attempt.delay = policy.delay(number, self.rng)
                    self.emit(
                        RetryScheduled(
                            run_id=self.run_id,
                            at=now,
                            agent=outcome.agent,
                            attempt=number + 1,
                            delay=attempt.delay,
                        )
                    )
                    await self.sleep(attempt.delay)
                    now = self.clock()
                    continue
                self.fail(outcome, exc, now)
                break
            now = attempt.finished_at = self.clock()
            if charged and ctx.exhausted:
                # The agent caught StepBudgetExceeded itself; the run is over all the same.
                self.fail(outcome, StepBudgetExceeded(self.config.context_length), now)
                break
            outcome.output = output
            outcome.status = AgentStatus.SUCCEEDED
            break
        outcome.finished_at = now
        self.finished(outcome)

    async def timed_attempt(self, agent: BaseAgent[Any], seconds: float) -> Any:
        with anyio.move_on_after(seconds):
            return await agent.execute(self.task, self.ctx)
        # Only our own deadline leaves the block without a return.
        raise AttemptTimeout(f"{agent.name}: attempt took longer than {seconds} s")

    def fail(self, outcome: AgentOutcome, exc: BaseException, now: float) -> None:
        outcome.error = exc
        if isinstance(exc, Veto):
            outcome.status = AgentStatus.VETOED
            self.emit(Vetoed(run_id=self.run_id, at=now, agent=outcome.agent, reason=exc.reason))
        else:
            outcome.status = AgentStatus.FAILED

    def finished(self, outcome: AgentOutcome) -> None:
        assert outcome.finished_at is not None
        if self.journal is not None:
            self.journal.agent_finished(
                self.key, agent=outcome.agent, role=outcome.role.value,
                status=outcome.status.value, attempts=len(outcome.attempts),
                output=outcome.output,
            )  # fmt: skip
        self.emit(
            AgentFinished(
                run_id=self.run_id,
                at=outcome.finished_at,
                agent=outcome.agent,
                role=outcome.role,
                status=outcome.status,
                attempts=len(outcome.attempts),
                error=_describe(outcome.error) if outcome.error is not None else None,
            )
        )


def _keep_earlier(journal: Journal | None, earlier: RunRecord, outcome: AgentOutcome) -> None:
    """Give ``outcome`` what its agent achieved in the run ``earlier``, when it succeeded
    there with an output the journal may restore."""
    record = earlier.outcomes.get(outcome.agent)
    if journal is None or record is None or record.role != outcome.role.value:
        return
    found, output = journal.output(record)
    if found:
        outcome.status, outcome.output, outcome.resumed = AgentStatus.SUCCEEDED, output, True


def _finished_before(
    journal: Journal, earlier: RunRecord, task: Task, agents: list[BaseAgent[Any]], now: float
) -> WorkflowResult:
    """The result of a run that succeeded in an earlier process, from its journal."""
    outcomes = []
    for agent, name in zip(agents, _unique_names(agents), strict=True):
        outcome = AgentOutcome(agent=name, role=agent.role, status=AgentStatus.SKIPPED)
        record = earlier.outcomes.get(name)
        if record is not None and record.status == AgentStatus.SUCCEEDED.value:
            _, output = journal.output(record)
            outcome.status, outcome.output, outcome.resumed = AgentStatus.SUCCEEDED, output, True
        outcomes.append(outcome)
    return WorkflowResult.build(
        run_id=earlier.run_ids[-1], task=task, status=RunStatus.SUCCEEDED, outcomes=outcomes,
        events=(), started_at=now, finished_at=now, steps=0, error=None,
    )  # fmt: skip


_FAILURES = frozenset({AgentStatus.FAILED, AgentStatus.VETOED})
_ROLE_OF = {Phase.VALIDATE: Role.VALIDATOR, Phase.EXECUTE: Role.EXECUTOR, Phase.AUDIT: Role.AUDITOR}
