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

import json
import os
import sqlite3
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from ..errors import InvalidArgument, NotFound, UsageError

__all__ = ["Journal", "JournalEntry", "MemoryJournal", "SqliteJournal", "TxState"]


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
    chain_id: int
    account: str
    request: dict[str, Any]
    state: TxState = TxState.INTENT
    nonce: int | None = None
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
        return replace(entry, refused=refused, state=TxState.SIGNED if still else TxState.INTENT)
    state = TxState(kind)
    if state not in _MOVES.get(entry.state, frozenset()):
        raise InvalidArgument(f"intent {entry.intent}: {entry.state} cannot become {state}")
    tx_hash = event.get("hash")
    if state is TxState.SIGNED:
        if raw is None or tx_hash is None or event.get("nonce") is None:
            raise InvalidArgument(f"intent {entry.intent}: signed needs a nonce, hash and bytes")
        return replace(
            entry, state=state, nonce=event["nonce"], hashes=(*entry.hashes, tx_hash),
            raw={**entry.raw, tx_hash: raw}, gas=event.get("gas"),
            fees=dict(event.get("fees") or {}),
        )  # fmt: skip
    if tx_hash is not None and tx_hash not in entry.hashes:
        raise InvalidArgument(f"intent {entry.intent}: {tx_hash} was never signed for it")
    return replace(entry, state=state, mined=tx_hash if state is TxState.MINED else entry.mined)


class Journal(ABC):
    """Where transaction intents are recorded before each step acts.

    Cancellation: a write that was cancelled may still be committed (with the writes it
    was grouped with); the caller that was cancelled does not act on it, and a later
    reader treats it as any other recorded state.
    """

    def __init__(self) -> None:
        self._entries: dict[str, JournalEntry] = {}
        self._taken: set[str] = set()  # intents matched to a send in this process

    async def intent(
        self, *, run_id: str, agent: str, chain_id: int, account: str, request: dict[str, Any]
    ) -> str:
        """Record that ``agent`` of ``run_id`` is to send ``request``; its intent id. The
        record is committed with the next durable write (its signed bytes, at the latest):
        an intent that dies unsigned may be signed afresh anyway."""
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
        only then may they be sent."""
        event = {"kind": "signed", "intent": intent, "nonce": nonce, "hash": tx_hash,
                 "gas": gas, "fees": fees or {}}  # fmt: skip
        await self._append(event, raw)

    async def moved(
        self, intent: str, state: TxState, tx_hash: str | None = None, *, wait: bool = True
    ) -> None:
        """Record that the intent is now ``state`` (``broadcast``, or a final state), with
        the hash concerned. ``wait=False`` queues it for the next commit instead of making
        one: for states a resume finds out from the chain anyway (broadcast, mined)."""
        if state in (TxState.INTENT, TxState.SIGNED):
            raise InvalidArgument(f"state: use intent() or signed() for {state}")
        event = {"kind": state.value, "intent": intent, "hash": tx_hash}
        await self._append(event, None, wait=wait)

    async def refused(self, intent: str, tx_hash: str) -> None:
        """Record that a node refused ``tx_hash`` outright (it can never be mined): the
        intent may be signed afresh. Record it before freeing the nonce."""
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
        self, *, run_id: str, agent: str, chain_id: int, request: dict[str, Any]
    ) -> JournalEntry | None:
        """The earliest recorded intent of this run's ``agent`` for the same ``request``
        on ``chain_id`` that no send of this process has taken yet, now taken: a resumed
        run's sends meet the intents of the run before, in order, instead of paying
        again."""
        for entry in self._entries.values():
            if (
                entry.intent not in self._taken
                and entry.run_id == run_id
                and entry.agent == agent
                and entry.chain_id == chain_id
                and entry.request == request
            ):
                self._taken.add(entry.intent)
                return entry
        return None

    def unsettled(self) -> list[JournalEntry]:
        """The intents that were signed and not settled: what a resume must reconcile."""
        return [e for e in self._entries.values() if e.state in (TxState.SIGNED, TxState.BROADCAST)]

    def _apply(self, event: dict[str, Any], raw: bytes | None) -> None:
        key = event["intent"]
        self._entries[key] = _fold(self._entries.get(key), event, raw)

    def _check(self, event: dict[str, Any], raw: bytes | None) -> None:
        _fold(self._entries.get(event["intent"]), event, raw)  # raises on a bad move

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


class MemoryJournal(Journal):
    """A journal in memory: the same rules, no durability. For tests."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[dict[str, Any], bytes | None]] = []

    async def _append(self, event: dict[str, Any], raw: bytes | None, *, wait: bool = True) -> None:
        self._check(event, raw)
        await anyio.lowlevel.checkpoint()
        self.events.append((event, raw))
        self._apply(event, raw)

    async def flush(self) -> None:
        """Nothing is queued in memory. Cancellation: nothing to abandon."""

    async def aclose(self) -> None:
        """Nothing to release. Cancellation: nothing to abandon."""


class _Write:
    __slots__ = ("done", "error", "event", "raw")

    def __init__(self, event: dict[str, Any], raw: bytes | None) -> None:
        self.event, self.raw = event, raw
        self.done = False
        self.error: BaseException | None = None


class SqliteJournal(Journal):
    """A journal in a SQLite file: WAL, ``synchronous=FULL``, an append-only event table.

    Writers that come while a commit is under way are committed together by the next one
    (group commit: 32 sends in flight pay a handful of fsyncs, not 32). SQLite runs in a
    worker thread, one at a time, never on the event loop. Reopening the file folds its
    events again; a row that cannot be read is reported with its sequence number.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "intent TEXT NOT NULL, event TEXT NOT NULL, raw BLOB)"
        )
        self._queue: list[_Write] = []
        self._lock: anyio.Lock | None = None
        self._loop: object = None
        self.commits = 0
        """How many commits (and so fsyncs) the journal made: a measure of grouping."""
        self._load()

    def _load(self) -> None:
        for seq, text, raw in self._db.execute("SELECT seq, event, raw FROM events ORDER BY seq"):
            try:
                event = json.loads(text)
                self._apply(event, raw)
            except (ValueError, KeyError, TypeError, InvalidArgument) as exc:
                raise UsageError(
                    f"journal {self.path.name}: row {seq} cannot be read ({exc}); the rows "
                    "before it are intact"
                ) from None

    async def _append(self, event: dict[str, Any], raw: bytes | None, *, wait: bool = True) -> None:
        self._check(event, raw)
        write = _Write(event, raw)
        self._queue.append(write)
        if not wait:  # committed, in order, with the next write that waits
            self._apply(event, raw)
            await anyio.lowlevel.checkpoint()
            return
        async with self._bound_lock():
            if not write.done:
                batch, self._queue = self._queue, []
                try:
                    await anyio.to_thread.run_sync(self._commit, batch)
                except BaseException as exc:
                    for w in batch:
                        w.error = exc
                    raise
                finally:
                    for w in batch:
                        w.done = True
        if write.error is not None:
            raise write.error
        self._apply(event, raw)

    async def flush(self) -> None:
        """Commit what is queued (states recorded with ``wait=False``). Cancellation:
        shielded; it completes."""
        with anyio.CancelScope(shield=True):
            async with self._bound_lock():
                batch, self._queue = self._queue, []
                if batch:
                    await anyio.to_thread.run_sync(self._commit, batch)

    def _bound_lock(self) -> anyio.Lock:
        """The commit lock of the running event loop (a journal outlives ``anyio.run``)."""
        loop = anyio.lowlevel.current_token().native_token
        if self._lock is None or loop is not self._loop:
            self._lock, self._loop = anyio.Lock(), loop
        return self._lock

    def _commit(self, batch: list[_Write]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO events (intent, event, raw) VALUES (?, ?, ?)",
                [(w.event["intent"], json.dumps(w.event, sort_keys=True), w.raw) for w in batch],
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self.commits += 1

    async def aclose(self) -> None:
        """Commit what is queued, then close the file. Cancellation: shielded."""
        with anyio.CancelScope(shield=True):
            await self.flush()
            async with self._bound_lock():
                self._db.close()

    def __repr__(self) -> str:
        return f"<SqliteJournal {self.path} intents={len(self._entries)}>"
