"""Durable runs: an append-only journal of each transaction's states, kept before each step
acts, so that a process that dies can be followed by one that knows what was sent.

- :class:`MemoryJournal`: in memory, for tests and for runs that need no durability.
- :class:`SqliteJournal`: the embedded default, a SQLite file (standard library) in WAL
  mode with ``synchronous=FULL``; writes go through one worker thread at a time and are
  group-committed (concurrent writers share one commit, and one fsync).

The rule that makes a double send impossible: a transaction's signed bytes are in the
journal, committed, before their first broadcast (:meth:`Journal.signed`), so that after a
crash they are re-broadcast as they are or found on chain, and their nonce is never
reissued to another payment. This module is the record; ``TxSender(durable=...)`` keeps it.

It also keeps runs (:class:`RunRecord`: the task, each agent's outcome, the agents' own
checkpoints through ``ctx.journal``, a :class:`Steps`), so that a run with the same
idempotency key resumes where the one before stopped, and holds each run for one process
at a time.
"""

from .journal import (
    Journal,
    JournalEntry,
    MemoryJournal,
    SqliteJournal,
    TxState,
)
from .runs import AgentRecord, RunRecord
from .steps import Steps

__all__ = [
    "AgentRecord",
    "Journal",
    "JournalEntry",
    "MemoryJournal",
    "RunRecord",
    "SqliteJournal",
    "Steps",
    "TxState",
]
