"""The journal: its states, its durability across a reopen and a crash, group commits."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from anyio_workflow.errors import InvalidArgument
from anyio_workflow.journal import Journal, MemoryJournal, SqliteJournal, TxState

from ..budget import examples

NEW = {"run_id": "r", "agent": "pay", "chain_id": 1, "account": "0x" + "11" * 20, "request": {}}


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Journal:
    return MemoryJournal() if request.param == "memory" else SqliteJournal(tmp_path / "j.db")


async def test_an_intent_goes_through_its_states(journal: Journal) -> None:
    intent = await journal.intent(**NEW)
    assert journal.entry(intent).state is TxState.INTENT
    await journal.signed(intent, nonce=7, tx_hash="0xa1", raw=b"first")
    await journal.moved(intent, TxState.BROADCAST, "0xa1")
    await journal.signed(intent, nonce=7, tx_hash="0xa2", raw=b"replacement")
    await journal.moved(intent, TxState.MINED, "0xa2")
    entry = journal.entry(intent)
    assert entry.state is TxState.MINED and entry.mined == "0xa2" and entry.nonce == 7
    assert entry.hashes == ("0xa1", "0xa2")
    assert entry.raw == {"0xa1": b"first", "0xa2": b"replacement"}
    assert journal.unsettled() == []


async def test_an_impossible_move_is_refused_and_not_written(journal: Journal) -> None:
    intent = await journal.intent(**NEW)
    with pytest.raises(InvalidArgument, match="intent cannot become broadcast"):
        await journal.moved(intent, TxState.BROADCAST, None)
    await journal.signed(intent, nonce=0, tx_hash="0xa1", raw=b"x")
    with pytest.raises(InvalidArgument, match="never signed for it"):
        await journal.moved(intent, TxState.MINED, "0xbb")
    await journal.moved(intent, TxState.DROPPED, "0xa1")
    with pytest.raises(InvalidArgument, match="dropped cannot become signed"):
        await journal.signed(intent, nonce=1, tx_hash="0xa3", raw=b"y")
    assert journal.entry(intent).state is TxState.DROPPED


async def test_a_resume_takes_the_signed_intent_before_one_never_signed(tmp_path: Path) -> None:
    """An attempt that failed before signing left an intent; its retry recorded another and
    signed it. The resumed send must meet the signed one, whose bytes may be on chain: the
    double payment the property harness found (tests/testing)."""
    first = SqliteJournal(tmp_path / "j.db")
    first.take(**{k: NEW[k] for k in ("run_id", "agent", "chain_id", "request")})
    unsigned = await first.intent(**NEW)
    retried = await first.intent(**NEW)
    await first.signed(retried, nonce=2, tx_hash="0xb1", raw=b"\x02retry")
    await first.aclose()
    again = SqliteJournal(tmp_path / "j.db")
    taken = again.take(**{k: NEW[k] for k in ("run_id", "agent", "chain_id", "request")})
    assert taken is not None and taken.intent == retried
    later = again.take(**{k: NEW[k] for k in ("run_id", "agent", "chain_id", "request")})
    assert later is not None and later.intent == unsigned  # an equal second send gets it


async def test_signed_bytes_survive_a_reopen(tmp_path: Path) -> None:
    first = SqliteJournal(tmp_path / "j.db")
    intent = await first.intent(**NEW)
    await first.signed(intent, nonce=3, tx_hash="0xa1", raw=b"\x02signed")
    await first.aclose()
    again = SqliteJournal(tmp_path / "j.db")
    assert [e.state for e in again.unsettled()] == [TxState.SIGNED]
    assert again.entry(intent).raw == {"0xa1": b"\x02signed"}


async def test_concurrent_writers_share_commits(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")

    async def send(n: int) -> None:
        intent = await journal.intent(**{**NEW, "agent": f"a{n}"})
        await journal.signed(intent, nonce=n, tx_hash=f"0x{n:02x}", raw=bytes([n]))

    async with anyio.create_task_group() as tg:
        for n in range(32):
            tg.start_soon(send, n)
    assert len(journal.entries()) == 32
    assert journal.commits < 64 / 2  # 64 writes, grouped into far fewer fsyncs
    reopened = SqliteJournal(tmp_path / "j.db")
    assert sorted(e.nonce or 0 for e in reopened.unsettled()) == list(range(32))


def test_a_damaged_row_is_named(tmp_path: Path) -> None:
    import sqlite3

    anyio.run(_two_rows, tmp_path / "j.db")
    db = sqlite3.connect(tmp_path / "j.db")
    db.execute("UPDATE events SET event = '{not json' WHERE seq = 2")
    db.commit()
    db.close()
    with pytest.raises(Exception, match=r"row 2 cannot be read.*the rows before it are intact"):
        SqliteJournal(tmp_path / "j.db")


async def _two_rows(path: Path) -> None:
    journal = SqliteJournal(path)
    intent = await journal.intent(**NEW)
    await journal.signed(intent, nonce=0, tx_hash="0xa1", raw=b"x")
    await journal.aclose()


class Crashes(RuleBasedStateMachine):
    """Any sequence of intents, moves and crashes (the files copied as they are on disk
    while the journal is open, the WAL's tail cut at a random byte, the copy reopened)
    keeps every intent in exactly one state and never loses committed signed bytes but
    for the cut tail."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(__import__("tempfile").mkdtemp())
        self.path = self.dir / "j.db"
        self.journal = SqliteJournal(self.path)
        self.written: list[tuple[str, str, Any]] = []  # (intent, kind, detail) in order
        self.crashes = 0

    def run(self, coro: Any, *args: Any) -> Any:
        return anyio.run(coro, *args)

    @rule()
    def new_intent(self) -> None:
        intent = self.run(lambda: self.journal.intent(**NEW))
        self.written.append((intent, "intent", None))

    @precondition(lambda self: any(e.state is TxState.INTENT for e in self.journal.entries()))
    @rule(data=st.data())
    def sign(self, data: st.DataObject) -> None:
        fresh = [e for e in self.journal.entries() if e.state is TxState.INTENT]
        entry = data.draw(st.sampled_from(fresh))
        tx_hash = f"0x{len(self.written):04x}"
        raw = data.draw(st.binary(min_size=1, max_size=40))
        self.run(lambda: self.journal.signed(entry.intent, nonce=1, tx_hash=tx_hash, raw=raw))
        self.written.append((entry.intent, "signed", raw))

    @precondition(lambda self: bool(self.journal.unsettled()))
    @rule(data=st.data(), state=st.sampled_from([TxState.BROADCAST, TxState.MINED]))
    def move(self, data: st.DataObject, state: TxState) -> None:
        entry = data.draw(st.sampled_from(self.journal.unsettled()))
        self.run(lambda: self.journal.moved(entry.intent, state, entry.hashes[-1]))
        self.written.append((entry.intent, state.value, None))

    @rule(cut=st.integers(0, 4096))
    def crash(self, cut: int) -> None:
        self.crashes += 1
        copy = self.dir / f"crash{self.crashes}"
        copy.mkdir()
        for suffix in ("", "-wal"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                shutil.copyfile(source, Path(str(copy / "j.db") + suffix))
        wal = copy / "j.db-wal"
        if wal.exists() and cut:
            data = wal.read_bytes()
            wal.write_bytes(data[: max(0, len(data) - cut)])
        reopened = SqliteJournal(copy / "j.db")
        # What survives is the journal as of some earlier moment: a prefix of the writes.
        seen = {e.intent: e for e in reopened.entries()}
        for intent, entry in seen.items():
            mine = self.journal.entry(intent)
            assert entry.hashes == mine.hashes[: len(entry.hashes)]
            for tx_hash, raw in entry.raw.items():
                assert mine.raw[tx_hash] == raw  # signed bytes, byte for byte
        if not cut:  # nothing cut: every signed byte is there (later states may be queued)
            for entry in self.journal.entries():
                if entry.hashes:
                    assert seen[entry.intent].hashes == entry.hashes
                    assert seen[entry.intent].raw == entry.raw

    @invariant()
    def one_state_each(self) -> None:
        for entry in self.journal.entries():
            assert isinstance(entry.state, TxState)
            assert entry.state is TxState.INTENT or entry.hashes

    def teardown(self) -> None:
        self.run(self.journal.aclose)
        shutil.rmtree(self.dir, ignore_errors=True)


Crashes.TestCase.settings = settings(
    max_examples=examples(15, ci=50), stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
TestCrashes = Crashes.TestCase


async def test_refused_bytes_reopen_the_intent(journal: Journal) -> None:
    intent = await journal.intent(**NEW)
    await journal.signed(intent, nonce=4, tx_hash="0xa1", raw=b"x")
    await journal.refused(intent, "0xa1")  # "nonce too low": those bytes can never be mined
    entry = journal.entry(intent)
    assert entry.state is TxState.INTENT and entry.pending == () and entry.refused == ("0xa1",)
    await journal.signed(intent, nonce=5, tx_hash="0xa2", raw=b"y")  # signed afresh
    assert journal.entry(intent).pending == ("0xa2",)
