"""The journal: every transaction intent through its states, appended before each acts.

A journal is a sequence of events, appended and never changed; an intent's state is the
fold of its events. The states and the moves between them::

    intent -> signed -> broadcast -> mined | replaced | dropped | failed
                 \\-> signed (the same intent signed again: a replacement)
                 \\-> intent (``refused``: a node refused those bytes outright, so they can
                      never be mined; the intent may be signed afresh, on another nonce)

Once ``signed`` is in the journal, the bytes are durable: whatever happens next, a
process that reopens the journal knows them, and re-broadcasts them or finds them on
chain; it never signs another payment on their nonce.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from ..core.filelock import try_lock
from ..errors import DuplicateRunError, InvalidArgument, JournalError, NotFound
from .runs import RUN_KINDS, AgentRecord, RunRecord, fold_run, keep, restore

__all__ = [
    "Journal",
    "JournalEntry",
    "MemoryJournal",
    "SqliteJournal",
    "TxState",
    "given_back_on_error",
]


class TxState(StrEnum):
    """Where one transaction intent is."""

    INTENT = "intent"
    """Asked for; nothing signed yet: it may be signed afresh after a crash."""
    SIGNED = "signed"
    """Signed bytes are durable; they may or may not have reached a node."""
    BROADCAST = "broadcast"
    """A node accepted the bytes."""
    MINED = "mined"
    REPLACED = "replaced"
    """Another transaction took its nonce (its replacement, or another payment)."""
    DROPPED = "dropped"
    """No node has it and its nonce is free: nothing was paid."""
    FAILED = "failed"
    """It will not be sent, or it reverted on chain."""


FINAL = frozenset({TxState.MINED, TxState.REPLACED, TxState.DROPPED, TxState.FAILED})
_PAID_NOTHING = frozenset({TxState.REPLACED, TxState.DROPPED, TxState.FAILED})
_MOVES: dict[TxState, frozenset[TxState]] = {
    TxState.INTENT: frozenset({TxState.SIGNED, TxState.FAILED}),
    # "refused" is the move back: those bytes cannot be mined, the intent is open again.
    TxState.SIGNED: frozenset({TxState.SIGNED, TxState.BROADCAST, *FINAL}),
    TxState.BROADCAST: frozenset({TxState.SIGNED, TxState.BROADCAST, *FINAL}),
}


@dataclass(frozen=True)
class JournalEntry:
    """One transaction intent, folded from its events."""

    intent: str
    run_id: str
    agent: str
    chain_id: int | str
    """An EVM chain id, or a CAIP-2 id (Solana)."""
    account: str
    request: dict[str, Any]
    state: TxState = TxState.INTENT
    nonce: int | None = None
    """The nonce of its signed bytes; on Solana, which has none, the block height they
    expire after (they can land until the chain passes it)."""
    hashes: tuple[str, ...] = ()
    """Every hash signed for it, in order."""
    raw: dict[str, bytes] = field(default_factory=dict)
    """The signed bytes of each hash."""
    mined: str | None = None
    """The hash that was mined, when one was."""
    refused: tuple[str, ...] = ()
    """Hashes a node refused outright: never to be sent again."""
    gas: int | None = None
    fees: dict[str, int] = field(default_factory=dict)
    """The fee fields of the latest signed bytes (``maxFeePerGas``... or ``gasPrice``)."""

    @property
    def pending(self) -> tuple[str, ...]:
        """The hashes that may be out there: signed and not refused."""
        return tuple(h for h in self.hashes if h not in self.refused)


_ENTRY_FIELDS = tuple(f.name for f in fields(JournalEntry))
_Checked = tuple[Any, Any] | None


def _evolve(entry: JournalEntry, **changes: Any) -> JournalEntry:
    """``dataclasses.replace`` without its per-call field processing: a journaled send
    folds four events, and ``replace`` was a third of the journal's cost."""
    new = object.__new__(JournalEntry)
    for name in _ENTRY_FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(entry, name))
    return new


def _fold(entry: JournalEntry | None, event: dict[str, Any], raw: bytes | None) -> JournalEntry:
    """``entry`` after ``event``; raises :class:`InvalidArgument` for an impossible move."""
    kind = event["kind"]
    if kind == "intent":
        if entry is not None:
            raise InvalidArgument(f"intent {event['intent']}: recorded twice")
        return JournalEntry(
            intent=event["intent"], run_id=event["run_id"], agent=event["agent"],
            chain_id=event["chain_id"], account=event["account"], request=event["request"],
        )  # fmt: skip
    if entry is None:
        raise InvalidArgument(f"intent {event['intent']}: {kind} before its intent")
    if kind == "refused":
        tx_hash = event.get("hash")
        if entry.state is not TxState.SIGNED or tx_hash not in entry.hashes:
            raise InvalidArgument(f"intent {entry.intent}: {tx_hash} was not just signed")
        refused = (*entry.refused, tx_hash)
        still = [h for h in entry.hashes if h not in refused]
        return _evolve(entry, refused=refused, state=TxState.SIGNED if still else TxState.INTENT)
    state = TxState(kind)
    if state not in _MOVES.get(entry.state, frozenset()):
        raise InvalidArgument(f"intent {entry.intent}: {entry.state} cannot become {state}")
    tx_hash = event.get("hash")
    if state is TxState.SIGNED:
        if raw is None or tx_hash is None or event.get("nonce") is None:
            raise InvalidArgument(f"intent {entry.intent}: signed needs a nonce, hash and bytes")
        return _evolve(
            entry, state=state, nonce=event["nonce"], hashes=(*entry.hashes, tx_hash),
            raw={**entry.raw, tx_hash: raw}, gas=event.get("gas"),
            fees=dict(event.get("fees") or {}),
        )  # fmt: skip
    if tx_hash is not None and tx_hash not in entry.hashes:
        raise InvalidArgument(f"intent {entry.intent}: {tx_hash} was never signed for it")
    return _evolve(entry, state=state, mined=tx_hash if state is TxState.MINED else entry.mined)


class Journal(ABC):
    """Where transaction intents are recorded before each step acts.

    A journal object holds in memory what was written through it, in the order it was
    written; its backend holds a prefix of that order (what is committed), and nothing
    written is ever dropped while the object lives. A write that must be durable before
    its caller acts (``signed``, ``refused``, a checkpoint, a run's start and end) returns
    only once it is committed, or raises :class:`~anyio_workflow.errors.JournalError`.

    Cancellation: such a write waits for its commit shielded (one commit: milliseconds),
    so that its caller knows whether it may act; the cancellation is then delivered at the
    caller's next checkpoint. A write that does not wait (``intent``, ``broadcast``,
    ``mined``, an agent's end) is in memory at once and committed with the next commit.
    """

    def __init__(self, *, trusted: tuple[str, ...] = ()) -> None:
        self._entries: dict[str, JournalEntry] = {}
        self._runs: dict[str, RunRecord] = {}
        self._taken: set[str] = set()  # intents matched to a send in this process
        self._position: dict[str, int] = {}  # intent -> its place in the recording order
        # (run, agent, chain) -> the intents nobody in this process has taken, in order
        self._open: dict[tuple[str, str, int | str], list[str]] = {}
        self._unsettled: dict[str, JournalEntry] = {}  # signed or broadcast, not settled
        self._held: set[str] = set()  # run keys this journal object runs now
        self.trusted = tuple(trusted)
        """Modules (beyond the standard allow-list) whose objects the journal may restore
        as agent outputs and checkpoint values."""

    # Runs -----------------------------------------------------------------------------

    async def begin(
        self, key: str, *, run_id: str, task: dict[str, Any], agents: list[str]
    ) -> RunRecord | None:
        """Hold run ``key`` for this process and record that it starts, or resumes; the
        journal's earlier record of it, if there is one. A run that finished and succeeded
        is not recorded again: its record is returned for its result.

        Raises :class:`DuplicateRunError` when it is held already: by a run of this
        journal object, or by another process that opened the same file (which is told so
        the moment it asks, and may try again once the holder has finished or died).
        Every ``begin`` that returns is followed by :meth:`release`."""
        if key in self._held:
            raise DuplicateRunError(key)
        self._hold(key)
        self._held.add(key)
        self.retake(key)  # run here before, by this object: its sends meet what it sent
        try:
            await self.refresh()  # another process may have written since this one read
            earlier = self._runs.get(key)
            if earlier is None:
                event = {"kind": "run", "key": key, "run_id": run_id, "task": task,
                         "agents": agents}  # fmt: skip
                await self._append(event, None)
            elif earlier.status != "succeeded":
                await self._append({"kind": "resumed", "key": key, "run_id": run_id}, None)
        except BaseException:
            self.release(key)
            raise
        return earlier

    def agent_finished(
        self, key: str, *, agent: str, role: str, status: str, attempts: int, output: Any
    ) -> None:
        """Record how an agent of run ``key`` ended (its output pickled when it can be),
        queued for the next commit: an agent whose record is lost runs again on resume,
        and its sends meet their journaled intents."""
        event = {"kind": "agent", "key": key, "agent": agent, "role": role, "status": status,
                 "attempts": attempts}  # fmt: skip
        self._queue_event(event, keep(output) if status == "succeeded" else None)

    async def checkpoint(self, key: str, agent: str, name: str, value: Any) -> None:
        """Record an agent's step ``name`` with its value, durably: once this returns, a
        resumed run finds it (:meth:`checkpoint_value`) instead of doing the step again.

        Cancellation: as :meth:`signed`: durable when this returns, even cancelled."""
        data = keep(value)
        if data is None:
            raise InvalidArgument(f"checkpoint {name!r}: its value cannot be pickled")
        event = {"kind": "checkpoint", "key": key, "agent": agent, "name": name}
        await self._append(event, data)

    def checkpoint_value(self, key: str, agent: str, name: str) -> tuple[bool, Any]:
        """``(True, value)`` when ``agent`` of run ``key`` recorded step ``name``, else
        ``(False, None)``."""
        record = self._runs.get(key)
        if record is None or (agent, name) not in record.checkpoints:
            return False, None
        return True, restore(record.checkpoints[agent, name], self.trusted)

    def output(self, outcome: AgentRecord) -> tuple[bool, Any]:
        """``(True, output)`` for an agent that succeeded with an output the journal could
        keep and may restore, else ``(False, None)``: that agent runs again."""
        if outcome.status != "succeeded" or outcome.output is None:
            return False, None
        try:
            return True, restore(outcome.output, self.trusted)
        except JournalError:
            return False, None

    async def finish(self, key: str, status: str) -> None:
        """Record, durably, that run ``key`` ended with ``status``; with the states queued
        before it. Cancellation: shielded, it completes."""
        with anyio.CancelScope(shield=True):
            await self._append({"kind": "finished", "key": key, "status": status}, None)

    async def hand_over(self, key: str) -> None:
        """Commit what this object queued, then :meth:`release` run ``key``: whoever holds
        it next (another process) reads everything written under it. A holder that let go
        with states still queued would commit them later, after the next holder's, and
        the file would show a state moving backward (``mined`` then ``broadcast``), which
        no reader can fold. Cancellation: shielded; it completes."""
        try:
            await self.flush()
        finally:
            self.release(key)

    def release(self, key: str) -> None:
        """Let go of run ``key`` (see :meth:`begin`) at once, with nothing committed: for a
        run that wrote nothing since :meth:`begin`; otherwise :meth:`hand_over`."""
        if key in self._held:
            self._held.discard(key)
            self._unhold(key)

    def run(self, key: str) -> RunRecord:
        try:
            return self._runs[key]
        except KeyError:
            raise NotFound(f"run: {key!r} is not in the journal") from None

    def runs(self) -> list[RunRecord]:
        """Every run the journal knows, in the order they began."""
        return list(self._runs.values())

    @abstractmethod
    def _hold(self, key: str) -> None:
        """Hold ``key`` against other processes (a file journal)."""

    @abstractmethod
    def _unhold(self, key: str) -> None:
        """Let other processes have ``key`` again."""

    @abstractmethod
    async def refresh(self) -> None:
        """Read what other processes appended since (a file journal)."""

    # Transactions ---------------------------------------------------------------------

    async def intent(
        self, *, run_id: str, agent: str, chain_id: int | str, account: str, request: dict[str, Any]
    ) -> str:
        """Record that ``agent`` of ``run_id`` is to send ``request``; its intent id. The
        record is committed with the next durable write (its signed bytes, at the latest):
        an intent that dies unsigned may be signed afresh anyway.

        Cancellation: the intent is recorded before the first checkpoint; cancelled, it
        stays recorded (and is committed with the next commit)."""
        intent = uuid.uuid4().hex
        self._taken.add(intent)  # the sender that asked owns it: no other may take it
        await self._append(
            {"kind": "intent", "intent": intent, "run_id": run_id, "agent": agent,
             "chain_id": chain_id, "account": account, "request": request},
            None,
            wait=False,
        )  # fmt: skip
        return intent

    async def signed(
        self,
        intent: str,
        *,
        nonce: int,
        tx_hash: str,
        raw: bytes,
        gas: int | None = None,
        fees: dict[str, int] | None = None,
    ) -> None:
        """Record signed bytes (with their gas and fee fields); durable when this returns:
        only then may they be sent. Raises :class:`~anyio_workflow.errors.JournalError`
        when they cannot be made durable: they must not be sent.

        Cancellation: shielded until the bytes are committed (one commit), so that the
        caller knows they are durable, and that their nonce is spent; the cancellation
        comes at the caller's next checkpoint."""
        event = {"kind": "signed", "intent": intent, "nonce": nonce, "hash": tx_hash,
                 "gas": gas, "fees": fees or {}}  # fmt: skip
        await self._append(event, raw)

    async def moved(
        self, intent: str, state: TxState, tx_hash: str | None = None, *, wait: bool = True
    ) -> None:
        """Record that the intent is now ``state`` (``broadcast``, or a final state), with
        the hash concerned. ``wait=False`` queues it for the next commit instead of making
        one: for states a resume finds out from the chain anyway (broadcast, mined).

        Cancellation: with ``wait``, as :meth:`signed`; without it, as :meth:`intent`."""
        if state in (TxState.INTENT, TxState.SIGNED):
            raise InvalidArgument(f"state: use intent() or signed() for {state}")
        event = {"kind": state.value, "intent": intent, "hash": tx_hash}
        await self._append(event, None, wait=wait)

    async def refused(self, intent: str, tx_hash: str) -> None:
        """Record that a node refused ``tx_hash`` outright (it can never be mined): the
        intent may be signed afresh. Record it before freeing the nonce.

        Cancellation: as :meth:`signed`: durable when this returns, even cancelled."""
        await self._append({"kind": "refused", "intent": intent, "hash": tx_hash}, None)

    def entry(self, intent: str) -> JournalEntry:
        try:
            return self._entries[intent]
        except KeyError:
            raise NotFound(f"intent: {intent} is not in the journal") from None

    def entries(self, run_id: str | None = None) -> list[JournalEntry]:
        """Every intent (of ``run_id``), in the order they were recorded."""
        return [e for e in self._entries.values() if run_id is None or e.run_id == run_id]

    def take(
        self, *, run_id: str, agent: str, chain_id: int | str, request: dict[str, Any]
    ) -> JournalEntry | None:
        """The earliest recorded intent of this run's ``agent`` for the same ``request``
        on ``chain_id`` that no send of this process has taken yet, now taken: a resumed
        run's sends meet the intents of the run before, in order, instead of paying
        again.

        Intents with signed bytes come before intents that were never signed: an attempt
        that failed before signing leaves an intent, and its retry records another and
        signs it; the send that resumes them must reconcile the signed one (its bytes may
        be on chain), not sign the other afresh. Sends of equal requests are
        interchangeable, so any order among them is as good. (Found by the property
        harness: a crash after such a retry paid twice.)"""
        candidates = self._open.get((run_id, agent, chain_id))
        if not candidates:
            return None
        matching = [
            (index, self._entries[intent])
            for index, intent in enumerate(candidates)
            if self._entries[intent].request == request
        ]
        signed = [(i, e) for i, e in matching if e.state is not TxState.INTENT]
        if not (signed or matching):
            return None
        index, entry = (signed or matching)[0]
        del candidates[index]
        self._taken.add(entry.intent)
        return entry

    def give_back(self, intent: str) -> None:
        """Say that the send which took or recorded ``intent`` ended with an exception (an
        error, or cancellation: an attempt's timeout, a fail-fast sibling): a later send of
        the same request by the same agent in this process takes it again (:meth:`take`),
        and so meets what was signed for it (its receipt when it was mined, its bytes when
        they may be on their way) instead of paying afresh on another nonce. An intent that
        paid nothing (failed, replaced, dropped) stays taken: a later send may pay anew."""
        entry = self._entries.get(intent)
        if entry is None or entry.state in _PAID_NOTHING or intent not in self._taken:
            return
        self._taken.discard(intent)
        candidates = self._open.setdefault((entry.run_id, entry.agent, entry.chain_id), [])
        candidates.append(intent)
        candidates.sort(key=self._position.__getitem__)  # in the order they were recorded

    def retake(self, run_id: str, agent: str | None = None) -> None:
        """An attempt of ``agent`` (by default, of every agent) of ``run_id`` starts again
        in this process (a retry, a resumed run): every intent they recorded before may
        be taken again, as by a process that reads the journal afresh, so that each send
        of the new attempt meets one (its receipt when it was mined, its bytes when they
        may be on their way) instead of paying again. An attempt cancelled after its
        payment was mined, and retried, paid it twice before (issue 26)."""
        for intent in [
            i for i in self._taken
            if self._entries[i].run_id == run_id and agent in (None, self._entries[i].agent)
        ]:  # fmt: skip
            self.give_back(intent)

    def unsettled(self) -> list[JournalEntry]:
        """The intents that were signed and not settled: what a resume must reconcile."""
        return list(self._unsettled.values())

    def _apply(self, event: dict[str, Any], raw: bytes | None, checked: _Checked = None) -> None:
        """Fold ``event`` in; ``checked`` is what :meth:`_check` folded it to, used when
        nothing has moved that entry since (the usual case: it is not folded twice)."""
        if event["kind"] in RUN_KINDS:
            key = event["key"]
            before = self._runs.get(key)
            if checked is not None and checked[0] is before:
                self._runs[key] = checked[1]
            else:
                self._runs[key] = fold_run(before, event, raw)
            return
        key = event["intent"]
        current = self._entries.get(key)
        if checked is not None and checked[0] is current:
            entry = checked[1]
            assert isinstance(entry, JournalEntry)
        else:
            entry = _fold(current, event, raw)
        self._entries[key] = entry
        self._index(entry, new=event["kind"] == "intent")

    def _index(self, entry: JournalEntry, *, new: bool) -> None:
        """Keep what :meth:`take` and :meth:`unsettled` look up current: each costs the
        intents it may return, not every intent of the journal."""
        if new:
            self._position[entry.intent] = len(self._position)
        if new and entry.intent not in self._taken:
            self._open.setdefault((entry.run_id, entry.agent, entry.chain_id), []).append(
                entry.intent
            )
        if entry.state in (TxState.SIGNED, TxState.BROADCAST):
            self._unsettled[entry.intent] = entry
        else:
            self._unsettled.pop(entry.intent, None)

    def _check(self, event: dict[str, Any], raw: bytes | None) -> _Checked:
        """Raise on a bad move, before anything is written; (before, after) the event."""
        if event["kind"] in RUN_KINDS:
            run = self._runs.get(event["key"])
            return run, fold_run(run, event, raw)
        entry = self._entries.get(event["intent"])
        return entry, _fold(entry, event, raw)

    def _queue_event(self, event: dict[str, Any], raw: bytes | None) -> None:
        """Record ``event`` for the next commit, without waiting (nothing acts on it)."""
        checked = self._check(event, raw)
        self._queued(event, raw)
        self._apply(event, raw, checked)

    @abstractmethod
    def _queued(self, event: dict[str, Any], raw: bytes | None) -> None: ...

    @abstractmethod
    async def _append(
        self, event: dict[str, Any], raw: bytes | None, *, wait: bool = True
    ) -> None: ...

    @abstractmethod
    async def flush(self) -> None:
        """Commit what is queued (states recorded with ``wait=False``). Cancellation:
        shielded; it completes."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release the journal's resources. Cancellation: shielded; it completes."""


@contextmanager
def given_back_on_error(journal: Journal | None, intent: str | None) -> Iterator[None]:
    """Around a send of ``intent``: when it ends with an exception (cancellation
    included), :meth:`Journal.give_back` the intent, so that the agent's retry in this
    process meets what was signed for it. Nothing when there is no journal or intent."""
    try:
        yield
    except BaseException:
        if journal is not None and intent is not None:
            journal.give_back(intent)
        raise


class MemoryJournal(Journal):
    """A journal in memory: the same rules, no durability. For tests."""

    def __init__(self, *, trusted: tuple[str, ...] = ()) -> None:
        super().__init__(trusted=trusted)
        self.events: list[tuple[dict[str, Any], bytes | None]] = []

    async def _append(self, event: dict[str, Any], raw: bytes | None, *, wait: bool = True) -> None:
        checked = self._check(event, raw)
        await anyio.lowlevel.checkpoint()
        self.events.append((event, raw))
        self._apply(event, raw, checked)

    def _queued(self, event: dict[str, Any], raw: bytes | None) -> None:
        self.events.append((event, raw))

    def _hold(self, key: str) -> None:
        """One process: the keys held by this object are all there is to check."""

    def _unhold(self, key: str) -> None:
        """Nothing is held outside this object."""

    async def refresh(self) -> None:
        """No other process writes here. Cancellation: a checkpoint-free no-op."""

    async def flush(self) -> None:
        """Nothing is queued in memory. Cancellation: nothing to abandon."""

    async def aclose(self) -> None:
        """Nothing to release. Cancellation: nothing to abandon."""


class _Write:
    __slots__ = ("done", "error", "event", "raw", "text")

    def __init__(self, event: dict[str, Any], raw: bytes | None) -> None:
        self.event, self.raw = event, raw
        self.text = json.dumps(event, sort_keys=True)  # here, not in the writer thread
        self.done = False
        self.error: BaseException | None = None


_INSERT = "INSERT INTO events (intent, event, raw) VALUES "
_ROWS_PER_INSERT = 300  # 900 bound values: under SQLite's oldest limit of 999


class SqliteJournal(Journal):
    """A journal in a SQLite file: WAL, ``synchronous=FULL``, an append-only event table.

    Writers that come while a commit is under way are committed together by the next one
    (group commit: 32 sends in flight pay a handful of fsyncs, not 32). SQLite runs in a
    worker thread, one at a time, never on the event loop. Reopening the file folds its
    events again; a row that cannot be read is reported with its sequence number.
    """

    def __init__(self, path: str | os.PathLike[str], *, trusted: tuple[str, ...] = ()) -> None:
        super().__init__(trusted=trusted)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")  # another process's commit: wait
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "intent TEXT NOT NULL, event TEXT NOT NULL, raw BLOB)"
        )
        self._queue: list[_Write] = []
        self._db_lock = threading.RLock()  # one worker thread at a time on the connection
        self._committing = False  # a waiter leads a commit; the others wait for it
        self._last: _Write | None = None  # the latest write queued
        self._foreign: list[tuple[int, str, bytes | None]] = []  # read, not yet applied
        self._signal: anyio.Event | None = None  # set when a commit ends
        self._loop: object = None
        self._seq = 0  # the last row read or written by this object
        self._locks: dict[str, int] = {}  # run key -> the file descriptor holding it
        self._broken: JournalError | None = None  # a commit failed: no more writes
        self.commits = 0
        """How many commits (and so fsyncs) the journal made: a measure of grouping."""
        self._apply_rows(self._new_rows())

    def _new_rows(self) -> list[tuple[int, str, bytes | None]]:
        rows = self._db.execute(
            "SELECT seq, event, raw FROM events WHERE seq > ? ORDER BY seq", (self._seq,)
        ).fetchall()
        if rows:
            self._seq = rows[-1][0]
        return rows

    def _apply_rows(self, rows: list[tuple[int, str, bytes | None]]) -> None:
        for seq, text, raw in rows:
            try:
                event = json.loads(text)
                self._apply(event, raw)
            except (ValueError, KeyError, TypeError, InvalidArgument, JournalError) as exc:
                raise JournalError(
                    f"journal {self.path.name}: row {seq} cannot be read ({exc}); the rows "
                    "before it are intact"
                ) from None

    async def refresh(self) -> None:
        """Read the rows other processes appended since this object last read.
        Cancellation: the read completes in its thread; its rows are applied by the next
        refresh or commit."""
        if self._broken is not None:
            raise self._broken
        try:
            await anyio.to_thread.run_sync(self._read_foreign)
        finally:
            self._apply_rows(self._take_foreign())

    def _read_foreign(self) -> None:
        with self._db_lock:
            self._foreign += self._new_rows()

    def _take_foreign(self) -> list[tuple[int, str, bytes | None]]:
        """The rows other processes appended that a worker thread read (under the lock
        they are read under), for the event loop to apply; a read whose caller was
        cancelled is applied all the same."""
        with self._db_lock:
            rows, self._foreign = self._foreign, []
        return rows

    def _hold(self, key: str) -> None:
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        locks = self.path.with_name(self.path.name + ".locks")
        locks.mkdir(exist_ok=True)
        fd = os.open(locks / name, os.O_RDWR | os.O_CREAT, 0o600)
        if not try_lock(fd):
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DuplicateRunError(key, f" in another process (pid {holder}) on {self.path}")
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._locks[key] = fd

    def _unhold(self, key: str) -> None:
        fd = self._locks.pop(key, None)
        if fd is not None:
            os.close(fd)  # closing the descriptor releases its lock (and so does dying)

    async def _append(self, event: dict[str, Any], raw: bytes | None, *, wait: bool = True) -> None:
        if self._broken is not None:
            raise self._broken
        checked = self._check(event, raw)
        # Queued and applied in one step, with no checkpoint between: what this object
        # holds in memory is what it queued, in the order it queued it, and the file holds
        # a prefix of that order (a reader of the file never sees a write before one that
        # came earlier here).
        write = self._last = _Write(event, raw)
        self._queue.append(write)
        self._apply(event, raw, checked)
        if not wait:  # committed, in order, with the next commit
            await anyio.lowlevel.checkpoint()
            return
        with anyio.CancelScope(shield=True):  # the caller must know: durable, or an error
            await self._committed(write)
        if write.error is not None:
            raise write.error

    async def _committed(self, write: _Write) -> None:
        """Return once ``write`` is committed, or with ``write.error`` set when it cannot
        be. With no commit under way the caller leads one, of everything queued;
        otherwise it waits for the commit under way to end (which wakes every waiter at
        once) and looks again. A chain of lock hand-offs, one waiter per turn of the event
        loop, cost a busy loop milliseconds a send.

        Cancellation: called shielded (a leader cancelled before its thread started would
        leave its batch unwritten while its waiters, woken, acted on it: issue 26); the
        commit itself is shielded too, so that no caller can break that."""
        while not write.done:
            if self._broken is not None:
                write.error = self._broken
                return
            if self._committing:
                await self._ended().wait()
                continue
            self._committing = True
            batch, self._queue = self._queue, []
            try:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._commit, batch)
            except Exception as exc:
                # Not known to be written, nor known not to be (a failed fsync may have
                # left it on disk): this object can no longer say what the file holds.
                self._broken = JournalError(
                    f"journal {self.path.name}: a commit failed ({exc}); nothing more is "
                    "written through this journal object. What is on disk is intact: "
                    "open the file again to go on."
                )
                for w in (*batch, *self._queue):
                    w.error = self._broken
                self._queue = []
            else:
                for w in batch:
                    w.done = True
            finally:
                self._committing = False
                ended, self._signal = self._ended(), None
                ended.set()
                self._apply_rows(self._take_foreign())

    def _ended(self) -> anyio.Event:
        """The event the next end of a commit sets (one per event loop: a journal outlives
        ``anyio.run``)."""
        loop = anyio.lowlevel.current_token().native_token
        if self._signal is None or loop is not self._loop:
            self._signal, self._loop = anyio.Event(), loop
        return self._signal

    async def flush(self) -> None:
        """Commit what is queued (states recorded with ``wait=False``); raises
        :class:`~anyio_workflow.errors.JournalError` when it cannot. Cancellation:
        shielded; it completes."""
        with anyio.CancelScope(shield=True):
            if self._last is not None:
                await self._committed(self._last)
        if self._broken is not None:
            raise self._broken

    def _queued(self, event: dict[str, Any], raw: bytes | None) -> None:
        if self._broken is not None:
            raise self._broken
        self._last = _Write(event, raw)
        self._queue.append(self._last)

    def _commit(self, batch: list[_Write]) -> None:
        """Append ``batch`` in one transaction, reading first the rows other processes
        appended since this one last read (kept for :meth:`_take_foreign`)."""
        with self._db_lock:
            self._commit_locked(batch)

    def _commit_locked(self, batch: list[_Write]) -> None:
        # One statement, in autocommit mode, is one transaction: atomic, and durable when
        # it returns (synchronous=FULL). One statement is also one release of the GIL:
        # each statement, and each row of an executemany, gives the GIL up around SQLite's
        # step and must win it back from a busy event loop, which cost a commit
        # milliseconds.
        for start in range(0, len(batch), _ROWS_PER_INSERT):
            rows = batch[start : start + _ROWS_PER_INSERT]
            values: list[str | bytes | None] = []
            for w in rows:
                values += (w.event.get("intent") or "run:" + w.event["key"], w.text, w.raw)
            cursor = self._db.execute(_INSERT + ", ".join(["(?, ?, ?)"] * len(rows)), values)
            last = cursor.lastrowid
            assert last is not None
            first = last - len(rows) + 1  # one statement's rows take consecutive numbers
            if first != self._seq + 1:  # another process appended rows in between: read them
                self._foreign += [row for row in self._new_rows_until(first) if row[0] > self._seq]
            self._seq = last
        self.commits += 1

    def _new_rows_until(self, end: int) -> list[tuple[int, str, bytes | None]]:
        return self._db.execute(
            "SELECT seq, event, raw FROM events WHERE seq > ? AND seq < ? ORDER BY seq",
            (self._seq, end),
        ).fetchall()

    async def aclose(self) -> None:
        """Commit what is queued, then close the file (and let go of any run still held).
        Cancellation: shielded."""
        with anyio.CancelScope(shield=True):
            try:
                await self.flush()
            finally:
                with self._db_lock:
                    self._db.close()
                for key in list(self._held):
                    self.release(key)

    def abandon(self) -> None:
        """Let go of the file at once, as a process that dies does: what is queued is
        dropped, never committed; the connection and every run hold are closed (another
        process may take the runs over); every later write raises
        :class:`~anyio_workflow.errors.JournalError`, and so do the writes that were
        waiting. The file keeps what was committed: a prefix of what this object wrote.
        For fault injection (the property harness's
        :class:`~anyio_workflow.testing.Crash`), and for a process that must stop writing
        now.

        Cancellation: not applicable; it does not wait, but for a commit already under way
        in its thread (it ends first, as one in flight when a process dies may)."""
        if self._broken is None:
            self._broken = JournalError(
                f"journal {self.path.name}: abandoned; nothing more is written through "
                "this journal object"
            )
        for w in self._queue:
            w.error = self._broken
        self._queue = []
        with self._db_lock:
            self._db.close()
        for key in list(self._held):
            self.release(key)

    def __repr__(self) -> str:
        return f"<SqliteJournal {self.path} intents={len(self._entries)}>"
