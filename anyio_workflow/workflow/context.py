"""The run context the engine hands every agent of a run as ``ctx``: :class:`WorkflowContext`,
which implements the :class:`~anyio_workflow.core.RunContext` and
:class:`~anyio_workflow.agents.AgentContext` protocols."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import anyio

from ..agents.context import AgentContext
from ..chains.caip import ChainRef, chain_ref
from ..core.config import AsyncWorkflowConfig
from ..core.fees import FeeStrategy, GasStrategy
from ..core.outcome import AgentOutcome
from ..core.protection import MevProtection
from ..core.status import RunStatus
from ..core.task import Task
from ..errors import InvalidArgument, NotFound, RpcError, StepBudgetExceeded
from ..evm.accounts import Signer
from ..evm.gas import FeeOracle
from ..evm.nonce import NonceManagers
from ..evm.schedule import SendQueue
from ..evm.tx import SendSettings, TxSender
from ..journal.journal import Journal
from ..journal.steps import Steps
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from ..solana.client import SolanaRpc
from ..solana.signer import SolanaSigner
from ..solana.tx import SolanaSender, SolanaStrategy
from ..storage.stores import ContentStore

__all__ = ["RunContext", "WorkflowContext"]

WAIT_TIMEOUT = 60.0
"""Seconds :meth:`WorkflowContext.wait_for` waits by default before it says nothing came."""

CURRENT_AGENT: ContextVar[str] = ContextVar("anyio_workflow_agent", default="")
"""The (unique) name of the agent whose task is running: the engine sets it in each
agent's task, so that what ``ctx`` hands out knows whose it is."""
CURRENT_PROTECTION: ContextVar[MevProtection | None] = ContextVar(
    "anyio_workflow_protection", default=None
)
"""The MEV protection the running agent asked for (``BaseAgent(flashbots=True)``...):
the senders ``ctx`` hands it send through its private relay."""


class WorkflowContext:
    """What an agent sees of the run it is part of.

    ``state`` is a dictionary shared by all agents of the run, the place to hand a
    price from an oracle agent to the executors. ``signer``, ``store`` and ``nonces`` are
    the workflow's (``AsyncWorkflow(signer=..., store=..., nonces=...)``); ``services``
    holds the user's own (``AsyncWorkflow(**services)``). Auditors read ``outcomes`` and
    ``status`` to record what happened.
    """

    __slots__ = (
        "_clients",
        "_clock",
        "_elsewhere",
        "_journal",
        "_oracles",
        "_outcomes",
        "_queues",
        "_ready",
        "_senders",
        "_signatures",
        "config",
        "exhausted",
        "followed",
        "journal",
        "nonces",
        "run_id",
        "services",
        "signer",
        "started_at",
        "state",
        "status",
        "steps",
        "store",
        "task",
    )

    def __init__(
        self,
        *,
        run_id: str,
        task: Task,
        config: AsyncWorkflowConfig,
        services: Mapping[str, Any],
        clients: Mapping[ChainRef, JsonRpcClient],
        outcomes: list[AgentOutcome],
        clock: Callable[[], float],
        signer: Signer | None = None,
        store: ContentStore | None = None,
        nonces: NonceManagers | None = None,
        journal: Journal | None = None,
        key: str | None = None,
        sent_elsewhere: Sequence[tuple[str, int | str, str, bool]] = (),
    ) -> None:
        self.run_id = run_id
        self._journal = journal
        # The run's key in the journal: its senders' intents and its agents' steps are
        # recorded under it (the task's idempotency key, else the run id, unless given).
        self.journal = Steps(journal, key or task.idempotency_key or run_id, CURRENT_AGENT.get)
        """The agent's own steps, checkpointed by name (``await ctx.journal.step(name,
        fn)``): durable with the workflow's journal, so that a resumed run skips them."""
        self._senders: list[tuple[str, TxSender | SolanaSender]] = []
        # What this run's agents sent in other processes (Temporal activities):
        # (agent, chain, hash, whether its fate is known).
        self._elsewhere = tuple(sent_elsewhere)
        self._signatures: dict[str, set[str]] = {}  # per Solana cluster: see solana_sender
        self.followed: dict[str, dict[str, Any]] = {}
        """Receipts found by :meth:`follow` for transactions whose agent stopped waiting."""
        self.task = task
        self.config = config
        self.services = services
        self.signer = signer
        self.store = store
        self.nonces = nonces if nonces is not None else NonceManagers()
        self._clients = clients
        self._oracles: dict[int, FeeOracle] = {}
        self._queues: dict[int, SendQueue] = {}
        self.state: dict[str, Any] = {}
        self._ready: dict[str, anyio.Event] = {}
        self.steps = 0
        self.exhausted = False
        """Whether some step was refused: the run is over, whoever caught the error."""
        self.status: RunStatus | None = None
        """The run's status; set before the auditors run, ``None`` until then."""
        self._outcomes = outcomes
        self._clock = clock
        self.started_at = clock()

    def publish(self, key: str, value: Any) -> None:
        """Hand ``value`` to the other agents of the run under ``key`` (``ctx.state[key]``),
        waking those waiting in :meth:`wait_for`."""
        self.state[key] = value
        event = self._ready.get(key)
        if event is not None:
            event.set()

    async def wait_for(
        self,
        key: str,
        *,
        timeout: float | None = WAIT_TIMEOUT,  # noqa: ASYNC109  (a default bound: no silent hang)
    ) -> Any:
        """The value published under ``key``, waiting for it if it is not there yet (an
        agent of the same phase may still be fetching it), for ``timeout`` seconds at most
        (``None``: as long as the run lasts). Past it, :class:`NotFound` names the key,
        what was published, and the agents still running that could publish it: a key
        nobody publishes (a typo, a feed published under another name) is an error, not a
        hang. A failed publisher fails its phase, which cancels this wait first.

        Cancellation: a plain wait; cancelled, nothing changed."""
        if key not in self.state:
            event = self._ready.setdefault(key, anyio.Event())
            with anyio.move_on_after(math.inf if timeout is None else timeout):
                await event.wait()
            if key not in self.state:
                me = CURRENT_AGENT.get()  # started, not finished: the same phase's others
                running = [o.agent for o in self._outcomes if o.agent != me
                           and o.started_at is not None and o.finished_at is None]  # fmt: skip
                raise NotFound(
                    f"wait_for({key!r}): nothing was published under {key!r} in "
                    f"{timeout:g} s. Published so far: {sorted(self.state) or 'nothing'}; "
                    f"agents still running that could publish it: {running or 'none'}"
                )
        return self.state[key]

    def elapsed(self) -> float:
        """Seconds since the run started, by the workflow's clock."""
        return self._clock() - self.started_at

    @property
    def chain_id(self) -> int:
        """The task's chain, an EVM chain id: what EVM agents without a ``chain_id`` of
        their own send on."""
        chain = self.chain
        if not isinstance(chain, int):
            raise InvalidArgument(
                f"chain_id: the task's chain is {chain}, a Solana cluster; an EVM agent "
                "needs its own chain_id= (or run the task on an EVM chain)"
            )
        return chain

    @property
    def chain(self) -> int | str:
        """The task's chain: an EVM chain id, or a Solana cluster's CAIP-2 id."""
        assert self.task.chain_id is not None  # Task.coerce always sets it
        return self.task.chain_id

    @property
    def outcomes(self) -> tuple[AgentOutcome, ...]:
        """Every agent's outcome so far, validators, executors and auditors, in order."""
        return tuple(self._outcomes)

    def now(self) -> float:
        """The workflow's clock (injectable, so that tests can run in virtual time)."""
        return self._clock()

    def step(self, n: int = 1) -> None:
        """Charge ``n`` steps to the run's budget (``context_length``).

        The engine charges one step per agent attempt; an agent that chains steps of its
        own (a loop of swaps, say) calls this once per step. Raises
        :class:`StepBudgetExceeded`, which ends the run, when the budget would be passed.
        """
        if n < 0:
            raise InvalidArgument("n: steps cannot be negative")
        if self.exhausted or self.steps + n > self.config.context_length:
            self.exhausted = True
            raise StepBudgetExceeded(self.config.context_length)
        self.steps += n

    def rpc(self, chain_id: ChainRef | None = None) -> JsonRpcClient:
        """The JSON-RPC client of ``chain_id`` (the task's chain by default; an EVM chain
        id, or a CAIP-2 id: ``"eip155:137"``, ``"solana:<genesis>"``)."""
        chain = self.chain_id if chain_id is None else chain_ref(chain_id)
        try:
            return self._clients[chain]
        except KeyError:
            known = ", ".join(sorted(map(str, self._clients))) or "none"
            raise NotFound(
                f"rpc: no endpoint for chain {chain} was given to AsyncWorkflow(rpc=...) "
                f"(chains: {known})"
            ) from None

    def eth(self, chain_id: ChainRef | None = None) -> EthRpc:
        """Typed EVM methods over :meth:`rpc`."""
        return EthRpc(self.rpc(chain_id))

    def solana(self, chain_id: str) -> SolanaRpc:
        """Typed Solana methods over :meth:`rpc` of the cluster ``chain_id`` (CAIP-2)."""
        return SolanaRpc(self.rpc(chain_id))

    def sender(
        self,
        signer: Signer,
        chain_id: int | None = None,
        *,
        strategy: GasStrategy | FeeStrategy | None = None,
        **options: Any,
    ) -> TxSender:
        """A :class:`TxSender` for ``signer`` on ``chain_id`` (the task's chain by default),
        with ``strategy`` (the workflow's ``gas_strategy`` by default; its ``custom_fees``
        for ``custom``). The senders of one chain share one fee oracle per run, so that
        concurrent agents ask the node for fees once; one :class:`SendQueue`, which admits
        their transactions by urgency (``fast`` before ``eco``); and the workflow's nonce
        manager of each account. ``options`` are :class:`SendSettings` fields. An agent
        that asked for a private relay (``flashbots=True``, ``private_rpc=``) gets a sender
        that sends through it."""
        chain = self.chain_id if chain_id is None else chain_id
        eth = self.eth(chain)
        fields: dict[str, Any] = {
            "strategy": strategy if strategy is not None else self.config.gas_strategy,
            "custom_fees": self.config.custom_fees,
            **options,
        }
        protection = CURRENT_PROTECTION.get()
        if "private" not in fields and protection is not None and protection.relay is not None:
            fields["private"] = protection.relay  # the agent asked: never the public mempool
        settings = SendSettings(**fields)
        oracle = self._oracles.get(chain)
        if oracle is None:  # one per chain and run: the agents share its cached quote
            oracle = self._oracles[chain] = FeeOracle(eth, chain, custom=self.config.custom_fees)
        if settings.custom_fees is not None and settings.custom_fees != self.config.custom_fees:
            oracle = FeeOracle(eth, chain, custom=settings.custom_fees)
        queue = self._queues.get(chain)
        if queue is None:  # one per chain and run: fast goes before eco
            queue = self._queues[chain] = SendQueue()
        nonces = self.nonces.get(chain, signer.address)
        agent = CURRENT_AGENT.get()
        sender = TxSender(
            eth, signer, chain, settings, oracle=oracle, queue=queue, nonces=nonces,
            # A resumed run (same idempotency key) meets its earlier intents by this key.
            durable=self._journal, labels=(self.journal.key, agent),
        )  # fmt: skip
        self._senders.append((agent, sender))
        return sender

    def solana_sender(
        self,
        signer: SolanaSigner,
        chain_id: str,
        *,
        strategy: SolanaStrategy = "optimal",
        **options: Any,
    ) -> SolanaSender:
        """A :class:`SolanaSender` for ``signer`` on the cluster ``chain_id`` (CAIP-2),
        journaled with the workflow's journal, and known to the run: what it sends is in
        :meth:`sent`, and so in the record, whatever becomes of its agent. ``options``
        are :class:`SolanaSender` parameters (``commitment``, ``margin``...)."""
        agent = CURRENT_AGENT.get()
        cluster = str(chain_ref(chain_id))
        sender = SolanaSender(
            self.solana(chain_id), signer, cluster, strategy=strategy, durable=self._journal,
            labels=(self.journal.key, agent),
            # The run's senders on a cluster never sign the same bytes twice: two identical
            # transfers are two payments, not one transaction refused the second time.
            signatures=self._signatures.setdefault(cluster, set()), **options,
        )  # fmt: skip
        self._senders.append((agent, sender))
        return sender

    def sent(self) -> list[tuple[str, int | str, str]]:
        """Every transaction the run's senders signed and sent, whatever became of it:
        ``(agent, chain_id, hash)``, in order per sender. What the record lists even when
        the agent that sent it failed or was cancelled (and what its agents sent in other
        processes, given as ``sent_elsewhere``)."""
        return [(agent, chain, tx_hash) for agent, chain, tx_hash, _ in self._elsewhere] + [
            (agent, sender.chain_id, tx_hash)
            for agent, sender in self._senders
            for tx_hash in sender.journal
        ]

    def unsettled(self) -> list[tuple[str, int | str, str]]:
        """What :meth:`sent` lists whose fate no sender saw: its agent failed or was
        cancelled before a receipt came, and :meth:`follow` has not found one."""
        elsewhere = [
            (agent, chain, tx_hash)
            for agent, chain, tx_hash, settled in self._elsewhere
            if not settled and tx_hash not in self.followed
        ]
        return elsewhere + [
            (agent, sender.chain_id, tx_hash)
            for agent, sender in self._senders
            for tx_hash in sender.journal
            if tx_hash not in sender.settled and tx_hash not in self.followed
        ]

    async def follow(self, seconds: float, interval: float = 0.1) -> None:
        """Follow the :meth:`unsettled` transactions for up to ``seconds``: each receipt
        found goes in :attr:`followed`, for the record. What is still pending after that is
        recorded without a status (and, with a journal, settled by the next resume).

        Cancellation: a plain wait; the engine runs it shielded, before the auditors."""
        with anyio.move_on_after(seconds):
            while pending := self.unsettled():
                for _agent, chain, tx_hash in pending:
                    try:
                        receipt = await self._receipt(chain, tx_hash)
                    except RpcError:
                        continue  # the node is away: the record says "no status"
                    if receipt is not None:
                        self.followed[tx_hash] = receipt
                if self.unsettled():
                    await anyio.sleep(interval)

    async def _receipt(self, chain: int | str, tx_hash: str) -> dict[str, Any] | None:
        """The receipt of ``tx_hash`` as the record reads it; for a Solana signature, its
        slot (``blockNumber``) and status."""
        if isinstance(chain, int):
            return await self.eth(chain).get_transaction_receipt(tx_hash)
        (seen,) = await self.solana(chain).get_signature_statuses([tx_hash])
        if seen is None:
            return None
        return {"blockNumber": seen.slot, "status": 1 if seen.err is None else 0}

    def service(self, name: str) -> Any:
        """The service registered under ``name``, with a clear error if there is none.
        ``"signer"`` and ``"store"`` also find the workflow's typed signer and store, for
        agents written before they were typed."""
        try:
            return self.services[name]
        except KeyError:
            typed = {"signer": self.signer, "store": self.store}.get(name)
            if typed is not None:
                return typed
            known = ", ".join(sorted(self.services)) or "none"
            raise NotFound(
                f"services.{name}: no such service was given to AsyncWorkflow (given: "
                f"{known}); pass it as AsyncWorkflow(..., services={{{name!r}: ...}})"
            ) from None

    def __repr__(self) -> str:
        action = self.task.action
        return f"<WorkflowContext run_id={self.run_id} action={action!r} steps={self.steps}>"


RunContext = WorkflowContext
"""The engine's context under its former name; agents are typed against the protocols
(:class:`~anyio_workflow.core.RunContext`, :class:`~anyio_workflow.agents.AgentContext`)."""


def _implements(ctx: WorkflowContext) -> AgentContext:
    return ctx  # mypy checks here that the engine's context implements the protocol
