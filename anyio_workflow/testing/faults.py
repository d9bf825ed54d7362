"""Fault schedules as data, drawn by hypothesis, applied by a transport wrapper.

A :class:`FaultSchedule` is a tuple of faults, each tied to something countable in a run
(the *n*-th call of a method, the *n*-th request, the *n*-th broadcast), so that the same
schedule does the same thing to the same run: hypothesis can replay it and shrink it to the
fewest, simplest faults that still break a property. :func:`faults` draws them;
:class:`ScheduledTransport` applies one to a transport, in-process, without patching
anything:

- :class:`FaultAt`: the *n*-th call of a method gets a fault (429/503, a JSON-RPC error,
  a timeout, a dropped connection, or ``drop_after``: the node has it, the answer is lost);
- :class:`Latency`: every request waits a little longer;
- :class:`Outage`: the endpoint is down for a window of requests;
- :class:`Reorg`: after the *n*-th broadcast, the devnet replaces its last *k* blocks
  (``devnet_reorg``; the revm devnet);
- :class:`Crash`: the process "dies" right after its *n*-th broadcast reached the node:
  the answer is lost, nothing it sends afterwards arrives, and its journal keeps only what
  was committed by then (what was queued is dropped, as a dead process drops it; a resume,
  with the durable journal, takes over).

A call inside a JSON-RPC batch counts as a call of its method; a fault on it hits the whole
batch.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from hypothesis import strategies as st

from ..errors import InvalidArgument, TransportError
from ..rpc.faults import FAULT_KINDS, FaultKind, inject
from ..rpc.transport import Payload, Transport

__all__ = [
    "DEFAULT_METHODS",
    "Crash",
    "Fault",
    "FaultAt",
    "FaultSchedule",
    "FaultState",
    "Latency",
    "Outage",
    "Reorg",
    "ScheduledTransport",
    "faults",
]

BROADCAST = "eth_sendRawTransaction"
DEFAULT_METHODS: tuple[str, ...] = (
    BROADCAST,
    "eth_getTransactionReceipt",
    "eth_getTransactionCount",
    "eth_estimateGas",
    "eth_feeHistory",
    "eth_getBlockByNumber",
)
"""The methods a payout's send goes through, where :func:`faults` aims by default."""

_TRANSIENT_KINDS: tuple[FaultKind, ...] = tuple(k for k in FAULT_KINDS if k != "garbage")


@dataclass(frozen=True, slots=True)
class FaultAt:
    """The ``nth`` call (from 0) of ``method`` gets ``kind``."""

    method: str
    nth: int
    kind: FaultKind


@dataclass(frozen=True, slots=True)
class Latency:
    """Every request waits ``seconds`` longer."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Outage:
    """Requests ``start`` to ``start + length - 1`` (counted from 0) find the endpoint down."""

    start: int
    length: int


@dataclass(frozen=True, slots=True)
class Reorg:
    """Right after the ``after``-th broadcast (from 0) is answered, the devnet replaces its
    last ``depth`` blocks; their transactions are mined again (``keep``) or dropped."""

    after: int
    depth: int
    keep: bool = True


@dataclass(frozen=True, slots=True)
class Crash:
    """The process dies right after its ``after``-th broadcast (from 0) reached the node.

    With ``process``, for real: the run goes in a child process, through a loopback proxy
    that applies the schedule, and the child is SIGKILLed there; the run is resumed in the
    harness's own process (:meth:`WorkflowEnv.payroll
    <anyio_workflow.testing.WorkflowEnv.payroll>`). Without it, in-process: the run is cut
    off and its journal abandoned (:meth:`SqliteJournal.abandon
    <anyio_workflow.journal.SqliteJournal.abandon>`), as a dead process leaves it."""

    after: int
    process: bool = False


Fault = FaultAt | Latency | Outage | Reorg | Crash


@dataclass(frozen=True, slots=True)
class FaultSchedule:
    """The faults one run meets; hypothesis shows it as its falsifying example."""

    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        for fault in self.faults:
            if isinstance(fault, FaultAt) and (fault.nth < 0 or fault.kind not in FAULT_KINDS):
                raise InvalidArgument(f"faults: {fault!r}: nth >= 0 and a known kind")
            if isinstance(fault, Latency) and not 0 <= fault.seconds <= 5:
                raise InvalidArgument(f"faults: {fault!r}: latency from 0 to 5 s")
            if isinstance(fault, Outage) and (fault.start < 0 or fault.length < 1):
                raise InvalidArgument(f"faults: {fault!r}: start >= 0, length >= 1")
            if isinstance(fault, Reorg) and (fault.after < 0 or fault.depth < 1):
                raise InvalidArgument(f"faults: {fault!r}: after >= 0, depth >= 1")
            if isinstance(fault, Crash) and fault.after < 0:
                raise InvalidArgument(f"faults: {fault!r}: after >= 0")

    def __len__(self) -> int:
        return len(self.faults)

    def __iter__(self) -> Any:
        return iter(self.faults)

    def __repr__(self) -> str:
        return f"FaultSchedule({', '.join(map(repr, self.faults))})"

    @property
    def crashes(self) -> bool:
        return any(isinstance(f, Crash) for f in self.faults)

    @property
    def crashes_a_process(self) -> bool:
        """Whether its crash kills a real child process (``Crash(process=True)``)."""
        return any(isinstance(f, Crash) and f.process for f in self.faults)

    @property
    def reorgs(self) -> bool:
        return any(isinstance(f, Reorg) for f in self.faults)


@dataclass
class FaultState:
    """What a schedule has counted so far, shared by every transport of one run (a
    workflow may open several)."""

    schedule: FaultSchedule
    calls: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    broadcasts: int = 0
    crashed: anyio.Event = field(default_factory=anyio.Event)
    on_crash: list[Callable[[], None]] = field(default_factory=list)
    """Called at the crash, before anything else runs: what dies with the process (its
    journal's queue and file handles: :meth:`SqliteJournal.abandon
    <anyio_workflow.journal.SqliteJournal.abandon>`)."""
    log: list[tuple[str, str]] = field(default_factory=list)
    """Every fault that struck: (what it hit, what it was)."""


class ScheduledTransport(Transport):
    """Wraps ``inner`` and applies ``state``'s schedule; ``control`` reaches the node with
    no faults (for reorgs).

    Cancellation: as the wrapped transport's; an injected delay or hang is cancelled with
    the request.
    """

    def __init__(
        self, inner: Transport, state: FaultState, *, control: Transport | None = None,
        hang: float = 0.05,
    ) -> None:  # fmt: skip
        self.inner = inner
        self.state = state
        self.control = control
        self.hang = hang
        self.endpoint = inner.endpoint
        faults = state.schedule.faults
        self._at = {(f.method, f.nth): f.kind for f in faults if isinstance(f, FaultAt)}
        self._latency = sum(f.seconds for f in faults if isinstance(f, Latency))
        self._outages = [f for f in faults if isinstance(f, Outage)]
        self._reorgs = [f for f in faults if isinstance(f, Reorg)]
        self._crash = min((f.after for f in faults if isinstance(f, Crash)), default=None)

    def _methods(self, payload: Payload) -> list[str]:
        items = payload if isinstance(payload, list) else [payload]
        return [str(item.get("method")) for item in items if isinstance(item, dict)]

    async def send(self, payload: Payload) -> Any:
        state = self.state
        methods = self._methods(payload)
        label = methods[0] if len(methods) == 1 else f"batch of {len(methods)}"
        if state.crashed.is_set():
            raise TransportError("the process is gone (injected crash)", endpoint=self.endpoint)
        number = state.requests
        state.requests += 1
        fault: FaultKind | None = None
        for method in methods:
            kind = self._at.get((method, state.calls[method]))
            state.calls[method] += 1
            fault = fault or kind
        if any(o.start <= number < o.start + o.length for o in self._outages):
            fault = "drop"
        if self._latency:
            await anyio.sleep(self._latency)
        broadcasts = [state.broadcasts + i for i in range(methods.count(BROADCAST))]
        state.broadcasts += len(broadcasts)
        if self._crash is not None and self._crash in broadcasts:
            state.log.append((label, "crash"))
            await self.inner.send(payload)  # it reached the node; the process dies
            state.crashed.set()
            for die in state.on_crash:
                die()
            raise TransportError("the process is gone (injected crash)", endpoint=self.endpoint)
        if fault is not None:
            state.log.append((label, fault))
        answer = await inject(self.inner, payload, fault, hang=self.hang)
        for reorg in self._reorgs:
            if reorg.after in broadcasts:
                await self._reorg(reorg, label)
        return answer

    async def _reorg(self, reorg: Reorg, label: str) -> None:
        control = self.control or self.inner
        head = await control.send({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
        depth = min(reorg.depth, int(head.get("result", "0x0"), 16))
        if depth < 1:
            return
        params = [hex(depth), reorg.keep]
        answer = await control.send(
            {"jsonrpc": "2.0", "id": 1, "method": "devnet_reorg", "params": params}
        )
        if "error" in answer:
            raise InvalidArgument(
                f"faults: {reorg!r} needs a node with devnet_reorg (the revm devnet): "
                f"{answer['error'].get('message')}"
            )
        self.state.log.append((label, f"reorg of {depth}"))

    async def aclose(self) -> None:
        await self.inner.aclose()


def faults(
    *,
    methods: Sequence[str] = DEFAULT_METHODS,
    kinds: Sequence[FaultKind] = _TRANSIENT_KINDS,
    max_faults: int = 4,
    max_nth: int = 12,
    latency: bool = True,
    outages: bool = True,
    reorgs: bool = False,
    reorg_drops: bool = False,
    crashes: bool = False,
    process_crashes: bool = False,
) -> st.SearchStrategy[FaultSchedule]:
    """Fault schedules: up to ``max_faults`` faults, each on one of the first ``max_nth``
    calls of ``methods``, plus latency and outages, and, when asked, devnet reorgs (whose
    transactions are mined again; with ``reorg_drops``, also reorgs that drop them, which
    a sender meets by sending again once the transaction is stuck: seconds) and one crash
    (a crash needs the durable journal for the run to resume; with ``process_crashes``,
    some crashes kill a real child process: :class:`Crash`). Shrinks toward fewer
    faults, earlier calls and simpler kinds."""
    if max_faults < 0 or max_nth < 1 or not methods or not kinds:
        raise InvalidArgument("faults: max_faults >= 0, max_nth >= 1, methods and kinds")
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        raise InvalidArgument(f"faults: unknown kinds {sorted(unknown)}")
    options: list[st.SearchStrategy[Fault]] = [
        st.builds(
            FaultAt,
            method=st.sampled_from(list(methods)),
            nth=st.integers(0, max_nth - 1),
            kind=st.sampled_from(list(kinds)),
        )
    ]
    if latency:
        options.append(st.builds(Latency, seconds=st.sampled_from([0.0, 0.001, 0.005])))
    if outages:
        options.append(
            st.builds(Outage, start=st.integers(0, 4 * max_nth), length=st.integers(1, 4))
        )
    if reorgs:
        options.append(
            st.builds(
                Reorg, after=st.integers(0, max_nth - 1), depth=st.integers(1, 3),
                keep=st.booleans() if reorg_drops else st.just(True),
            )
        )  # fmt: skip
    faults_list = st.lists(st.one_of(options), max_size=max_faults)
    if crashes:
        process = st.booleans() if process_crashes else st.just(False)
        crash = st.none() | st.builds(Crash, after=st.integers(0, max_nth - 1), process=process)
        return st.builds(
            lambda listed, c: FaultSchedule(tuple(itertools.chain(listed, [c] if c else []))),
            faults_list,
            crash,
        )
    return faults_list.map(lambda listed: FaultSchedule(tuple(listed)))
