"""The :class:`RunContext` that every agent of a run receives as ``ctx``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import anyio

from ..errors import StepBudgetExceeded
from ..evm.accounts import Signer
from ..evm.gas import FeeOracle
from ..evm.schedule import SendQueue
from ..evm.tx import TxSender
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from .config import AsyncWorkflowConfig
from .result import AgentOutcome
from .status import RunStatus
from .task import Task

__all__ = ["RunContext"]


class RunContext:
    """What an agent sees of the run it is part of.

    ``state`` is a dictionary shared by all agents of the run, the place to hand a
    price from an oracle agent to the executors. ``services`` holds what was passed to
    ``AsyncWorkflow(**services)`` (RPC clients, signers, stores). Auditors read
    ``outcomes`` and ``status`` to record what happened.
    """

    __slots__ = (
        "_clients",
        "_clock",
        "_oracles",
        "_outcomes",
        "_queues",
        "_ready",
        "config",
        "exhausted",
        "run_id",
        "services",
        "started_at",
        "state",
        "status",
        "steps",
        "task",
    )

    def __init__(
        self,
        *,
        run_id: str,
        task: Task,
        config: AsyncWorkflowConfig,
        services: Mapping[str, Any],
        clients: Mapping[int, JsonRpcClient],
        outcomes: list[AgentOutcome],
        clock: Callable[[], float],
    ) -> None:
        self.run_id = run_id
        self.task = task
        self.config = config
        self.services = services
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

    async def wait_for(self, key: str) -> Any:
        """The value published under ``key``, waiting for it if it is not there yet (an
        agent of the same phase may still be fetching it). A failed publisher fails its
        phase, which cancels this wait: it never hangs past the run."""
        if key not in self.state:
            event = self._ready.setdefault(key, anyio.Event())
            await event.wait()
        return self.state[key]

    def elapsed(self) -> float:
        """Seconds since the run started, by the workflow's clock."""
        return self._clock() - self.started_at

    @property
    def chain_id(self) -> int:
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
            raise ValueError("n: steps cannot be negative")
        if self.exhausted or self.steps + n > self.config.context_length:
            self.exhausted = True
            raise StepBudgetExceeded(self.config.context_length)
        self.steps += n

    def rpc(self, chain_id: int | None = None) -> JsonRpcClient:
        """The JSON-RPC client of ``chain_id`` (the task's chain by default)."""
        chain = self.chain_id if chain_id is None else chain_id
        try:
            return self._clients[chain]
        except KeyError:
            known = ", ".join(map(str, sorted(self._clients))) or "none"
            raise LookupError(
                f"rpc: no endpoint for chain {chain} was given to AsyncWorkflow(rpc=...) "
                f"(chains: {known})"
            ) from None

    def eth(self, chain_id: int | None = None) -> EthRpc:
        """Typed EVM methods over :meth:`rpc`."""
        return EthRpc(self.rpc(chain_id))

    def sender(self, signer: Signer, chain_id: int | None = None, **options: Any) -> TxSender:
        """A :class:`TxSender` for ``signer`` on ``chain_id`` (the task's chain by default),
        with the workflow's ``gas_strategy``. The senders of one chain share one fee oracle
        per run (with the ``custom_fees`` service, used by the ``custom`` strategy), so that
        concurrent agents ask the node for fees once, and one :class:`SendQueue`, which
        admits their transactions by urgency (``fast`` before ``eco``). ``options`` go to
        ``TxSender``."""
        chain = self.chain_id if chain_id is None else chain_id
        eth = self.eth(chain)
        options.setdefault("strategy", self.config.gas_strategy)
        if "oracle" not in options and "custom_fees" not in options:
            # One oracle per chain and run: the agents share its cached fee quote.
            oracle = self._oracles.get(chain)
            if oracle is None:
                custom = self.services.get("custom_fees")
                oracle = self._oracles[chain] = FeeOracle(eth, chain, custom=custom)
            options["oracle"] = oracle
        if "queue" not in options:  # one per chain and run: fast goes before eco
            queue = self._queues.get(chain)
            if queue is None:
                queue = self._queues[chain] = SendQueue()
            options["queue"] = queue
        return TxSender(eth, signer, chain, **options)

    def service(self, name: str) -> Any:
        """The service registered under ``name``, with a clear error if there is none."""
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(sorted(self.services)) or "none"
            raise LookupError(
                f"services.{name}: no such service was given to AsyncWorkflow (given: {known})"
            ) from None

    def __repr__(self) -> str:
        return f"<RunContext run_id={self.run_id} action={self.task.action!r} steps={self.steps}>"
