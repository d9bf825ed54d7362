"""Cancellation never voids durability: every journal write that returned is on disk,
whoever was cancelled and whenever (issue 26).

Concurrent senders each record an intent and then signed bytes on one journal, as the EVM
sender does, while a drawn subset of them is cancelled after a drawn number of the event
loop's turns (an attempt's timeout, a fail-fast sibling). Then the file is read by a new
journal object, as a process that took over after a crash would read it, without the
writer flushing or closing anything first.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow.errors import JournalError
from anyio_workflow.journal import SqliteJournal, TxState

from ..budget import examples

ACCOUNT = "0x" + "11" * 20
ROOT = Path(__file__).resolve().parents[2]
TRIALS = examples(60, 500)  # issue 26: at least 500 trials on each backend in CI


def _intent(i: int) -> dict[str, object]:
    return {"run_id": "r", "agent": f"pay-{i}", "chain_id": 1, "account": ACCOUNT,
            "request": {"to": i}}  # fmt: skip


async def _send(journal: SqliteJournal, i: int, done: dict[int, str]) -> None:
    """What a sender records before it may broadcast; ``done`` gets what returned."""
    intent = await journal.intent(**_intent(i))  # type: ignore[arg-type]
    await journal.signed(intent, nonce=i, tx_hash=f"0x{i:064x}", raw=b"raw-%d" % i)
    done[i] = intent


async def _cancel_after(scope: anyio.CancelScope, turns: int) -> None:
    for _ in range(turns):
        await anyio.lowlevel.checkpoint()
    scope.cancel()


async def _senders(
    journals: list[SqliteJournal],
    cancel_at: list[int | None],
    done: dict[int, str],
    *,
    first: int = 0,
) -> None:
    """One sender each, numbered from ``first``; sender ``i`` writes through
    ``journals[i % len]`` and is cancelled after ``cancel_at[i - first]`` turns when that
    is not ``None``."""

    async def one(i: int, turns: int | None) -> None:
        with anyio.CancelScope() as scope:
            if turns is not None:
                tg.start_soon(_cancel_after, scope, turns)
            await _send(journals[i % len(journals)], i, done)

    async with anyio.create_task_group() as tg:
        for offset, turns in enumerate(cancel_at):
            tg.start_soon(one, first + offset, turns)


def _check_file(path: Path, done: dict[int, str]) -> SqliteJournal:
    """The file reopens, and holds every signed write that returned, after its intent."""
    reader = SqliteJournal(path)  # raises JournalError for a row it cannot read
    for i, intent in done.items():
        entry = reader.entry(intent)
        assert entry.state is TxState.SIGNED, (i, entry)
        assert entry.nonce == i and entry.raw == {f"0x{i:064x}": b"raw-%d" % i}
    return reader


cancellations = st.lists(st.none() | st.integers(0, 12), min_size=1, max_size=64)
property_settings = settings(
    max_examples=TRIALS, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("objects", [1, 2], ids=["one journal object", "two on one file"])
@property_settings
@given(cancel_at=cancellations)
async def test_every_write_that_returned_is_on_disk(
    tmp_path_factory: pytest.TempPathFactory, objects: int, cancel_at: list[int | None]
) -> None:
    path = tmp_path_factory.mktemp("j") / "j.sqlite"
    journals = [SqliteJournal(path) for _ in range(objects)]
    done: dict[int, str] = {}
    await _senders(journals, cancel_at, done)
    reader = _check_file(path, done)  # before any flush: as a crash would leave it
    # Nothing queued is lost while the process lives: once flushed, the file holds what
    # the writers hold in memory, cancelled senders' writes included; and each writer,
    # once it has read the other's rows, holds the whole file.
    for journal in journals:
        await journal.flush()
    await reader.refresh()
    on_disk = {e.intent: e for e in reader.entries()}
    assert len(on_disk) >= len(done)
    for journal in journals:
        await journal.refresh()
        assert {e.intent: e for e in journal.entries()} == on_disk
    await reader.aclose()
    for journal in journals:
        await journal.aclose()


_CHILD = textwrap.dedent(
    """
    import random, sys, anyio
    from anyio_workflow.journal import SqliteJournal
    from tests.journal.test_durability import _senders

    class Printing(dict):
        def __setitem__(self, i, intent):
            super().__setitem__(i, intent)
            print(i, intent, flush=True)  # signed() returned: a durable claim

    async def main(path, seed):
        journal = SqliteJournal(path)
        rng = random.Random(seed)
        for round in range(40):  # 64 senders a round, half of them cancelled at random
            cancel_at = [rng.choice([None, rng.randrange(13)]) for _ in range(64)]
            await _senders([journal], cancel_at, Printing(), first=64 * round)
        print("end", flush=True)
        await anyio.sleep(60)  # killed here at the latest: nothing flushed on the way out

    anyio.run(main, sys.argv[1], int(sys.argv[3]), backend=sys.argv[2])
    """
)


@pytest.mark.parametrize("kill_after", [1, 300, 900])
async def test_a_process_killed_mid_write_leaves_every_returned_write_on_disk(
    tmp_path: Path, anyio_backend: str, kill_after: int
) -> None:
    """The same claim across processes: a child process writes as above, round after
    round, and is SIGKILLed once it has said that ``kill_after`` writes returned; every
    write it said returned is in the file, which reopens."""
    path = tmp_path / "j.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _CHILD, str(path), anyio_backend, str(kill_after)]
    process = await anyio.open_process(command, env=env)
    done: dict[int, str] = {}
    try:
        assert process.stdout is not None
        with anyio.fail_after(120):
            buffer = b""
            async for chunk in process.stdout:
                *lines, buffer = (buffer + chunk).split(b"\n")
                for line in lines:
                    if line != b"end":
                        i, intent = line.decode().split()
                        done[int(i)] = intent
                if len(done) >= kill_after or b"end" in lines:
                    break
        process.send_signal(signal.SIGKILL)
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.kill()
            await process.wait()
    assert process.returncode == -signal.SIGKILL
    assert len(done) >= kill_after
    reader = _check_file(path, done)
    await reader.aclose()


async def test_a_failed_commit_breaks_the_journal_object_and_every_writer_hears_it(
    tmp_path: Path,
) -> None:
    """A commit that fails leaves the file's state unknown to this object: each writer of
    the batch hears the error, and no later write is accepted (the file, reopened, is
    intact). Made to fail inside SQLite: the connection is made read-only underneath."""
    journal = SqliteJournal(tmp_path / "j.sqlite")
    await _send(journal, 0, {})
    journal._db.execute("PRAGMA query_only=ON")  # the next commit fails inside SQLite
    errors: list[BaseException] = []

    async def write(i: int) -> None:
        try:
            await _send(journal, i, {})
        except JournalError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for i in range(1, 6):
            tg.start_soon(write, i)
    assert len(errors) == 5 and all("commit failed" in str(e) for e in errors)
    with pytest.raises(JournalError, match="commit failed"):
        await journal.intent(**_intent(9))  # type: ignore[arg-type]
    reader = SqliteJournal(tmp_path / "j.sqlite")
    assert [e.state for e in reader.entries()] == [TxState.SIGNED]
    await reader.aclose()
    with pytest.raises(JournalError):
        await journal.aclose()


async def test_a_run_handed_over_leaves_nothing_queued_to_land_after_the_next_holder(
    tmp_path: Path,
) -> None:
    """A holder lets go of a run only once what it queued is on disk: a queued
    ``broadcast`` committed later, after the next holder's ``mined``, made the file
    unreadable to every process (a state moving backward). Two journal objects on one
    file stand for two processes (a Temporal worker whose attempt was cancelled, and the
    one that takes the agent over)."""
    path = tmp_path / "j.sqlite"
    first = SqliteJournal(path)
    await first.begin("run/pay-0", run_id="r1", task={}, agents=["pay-0"])
    intent = await first.intent(**_intent(0))  # type: ignore[arg-type]
    await first.signed(intent, nonce=0, tx_hash="0xa1", raw=b"bytes")
    await first.moved(intent, TxState.BROADCAST, "0xa1", wait=False)  # queued only
    await first.hand_over("run/pay-0")
    second = SqliteJournal(path)
    await second.begin("run/pay-0", run_id="r2", task={}, agents=["pay-0"])
    await second.moved(intent, TxState.MINED, "0xa1")
    await second.hand_over("run/pay-0")
    await first.intent(**_intent(1))  # type: ignore[arg-type]  # the first writes on
    await first.flush()
    reader = SqliteJournal(path)  # raised "mined cannot become broadcast" before
    assert reader.entry(intent).state is TxState.MINED
    for journal in (first, second, reader):
        await journal.aclose()
