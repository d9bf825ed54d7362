"""What must hold for a workflow that moves money, as functions a test calls or composes.

Each reads the chain itself (every block, from genesis to the head), not the run's own
account of it, and raises :class:`InvariantViolated` (an ``AssertionError``, so pytest and
hypothesis treat it as a failed test) with what it found.

- :func:`assert_exactly_once`: every intended payout is on chain exactly once, and the
  run's senders paid nothing else;
- :func:`assert_settled`: every agent succeeded, or its outcome says why not;
- :func:`assert_record_complete`: the audit record lists every transaction the chain
  shows from the run's senders;
- :func:`assert_no_leaks`: no task, open client or child process left behind.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
from eth_abi.abi import decode

from .._hash import keccak256
from ..core.status import AgentStatus
from ..errors import InvariantViolated, one_error
from ..evm.address import to_checksum
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from ..workflow.result import WorkflowResult

__all__ = [
    "ChainView",
    "LeakBaseline",
    "Payout",
    "assert_exactly_once",
    "assert_no_leaks",
    "assert_record_complete",
    "assert_settled",
    "leak_baseline",
    "read_chain",
]

TRANSFER_TOPIC = "0x" + keccak256(b"Transfer(address,address,uint256)").hex()
_ERC20_TRANSFER = bytes.fromhex("a9059cbb")


@dataclass(frozen=True, slots=True)
class Payout:
    """One payment: ``amount`` base units to ``to``; of ``token`` (an ERC-20's address),
    or of the chain's own coin when ``token`` is ``None``."""

    to: str
    amount: int
    token: str | None = None

    def normalized(self) -> Payout:
        return Payout(
            to_checksum(self.to),
            self.amount,
            None if self.token is None else to_checksum(self.token),
        )


@dataclass(frozen=True, slots=True)
class ChainView:
    """Every transaction a chain holds (``from``, ``to``, value, input, status, logs),
    read once and shared by the invariants."""

    transactions: tuple[Mapping[str, Any], ...]

    def sent_by(self, senders: Iterable[str]) -> list[Mapping[str, Any]]:
        wanted = {s.lower() for s in senders}
        return [tx for tx in self.transactions if str(tx["from"]).lower() in wanted]

    def payouts(self, senders: Iterable[str]) -> dict[Payout, list[str]]:
        """Every payout the ``senders`` made, with the hashes of the transactions that
        made it (a transaction's value, an ERC-20 ``Transfer`` from its sender)."""
        found: dict[Payout, list[str]] = {}
        for tx in self.sent_by(senders):
            for payout in _payouts_of(tx):
                found.setdefault(payout, []).append(str(tx["hash"]))
        return found


async def read_chain(chain: Any) -> ChainView:
    """Read every mined transaction with its receipt. ``chain`` is an :class:`EthRpc`, a
    :class:`JsonRpcClient`, or anything with a ``client()`` that makes one (a devnet).

    Cancellation: stops reading; nothing is changed on chain.
    """
    if isinstance(chain, EthRpc):
        return await _read(chain)
    if isinstance(chain, JsonRpcClient):
        return await _read(EthRpc(chain))
    async with chain.client() as client:
        return await _read(EthRpc(client))


async def _read(eth: EthRpc) -> ChainView:
    """Every block, then every receipt, fetched concurrently: the client coalesces them
    into a few batches."""
    head = await eth.block_number()
    blocks: list[Any] = [None] * (head + 1)
    with one_error():
        async with anyio.create_task_group() as tg:
            for number in range(head + 1):

                async def get_block(number: int = number) -> None:
                    blocks[number] = await eth.get_block(number, full=True)

                tg.start_soon(get_block)
    txs = []
    for number, block in enumerate(blocks):
        if block is None:
            raise InvariantViolated(f"block {number} is missing below the head")
        txs.extend(block["transactions"])
    receipts: list[Any] = [None] * len(txs)
    with one_error():
        async with anyio.create_task_group() as tg:
            for index, tx in enumerate(txs):

                async def get_receipt(index: int = index, tx_hash: str = tx["hash"]) -> None:
                    receipts[index] = await eth.get_transaction_receipt(tx_hash)

                tg.start_soon(get_receipt)
    out: list[Mapping[str, Any]] = []
    for tx, receipt in zip(txs, receipts, strict=True):
        if receipt is None:
            raise InvariantViolated(
                f"{tx['hash']} is in block {tx['blockNumber']} without a receipt"
            )
        out.append({**tx, "status": receipt["status"], "logs": receipt["logs"]})
    return ChainView(tuple(out))


def _senders(result: WorkflowResult, view: ChainView) -> set[str]:
    """The accounts that sent the run's transactions (its receipts' and its record's)."""
    hashes = {r.hash.lower() for r in result.receipts if isinstance(getattr(r, "hash", None), str)}
    audit = result.audit
    if audit is not None:
        hashes |= {t.hash.lower() for t in audit.record.transactions}
    return {str(t["from"]).lower() for t in view.transactions if str(t["hash"]).lower() in hashes}


def _payouts_of(tx: Mapping[str, Any]) -> list[Payout]:
    """The payouts a successful transaction made: its value, and its ERC-20 Transfer
    events from its sender."""
    if tx["status"] != 1:
        return []
    sender = str(tx["from"]).lower()
    found = []
    if tx.get("value") and tx.get("to"):
        found.append(Payout(to_checksum(tx["to"]), int(tx["value"])))
    for log in tx["logs"]:
        topics = log.get("topics") or []
        if len(topics) == 3 and str(topics[0]).lower() == TRANSFER_TOPIC:
            source = "0x" + str(topics[1])[-40:]
            if source.lower() == sender:
                (amount,) = decode(["uint256"], bytes.fromhex(str(log["data"])[2:]))
                found.append(
                    Payout(to_checksum("0x" + str(topics[2])[-40:]), amount,
                           to_checksum(log["address"]))
                )  # fmt: skip
    return found


async def assert_exactly_once(
    result: WorkflowResult,
    chain: Any,
    expected_payouts: Iterable[Payout | tuple[str, int] | tuple[str, int, str]],
    *,
    senders: Iterable[str] | None = None,
    require_all: bool | None = None,
    view: ChainView | None = None,
) -> None:
    """Every payout in ``expected_payouts`` is on ``chain`` exactly once, and the senders
    (the run's, or ``senders``) paid nothing else: no payout twice, none extra, and none
    missing when ``require_all`` (by default: when the run succeeded; a failed run may
    have stopped before some). A payout is a transaction's value or an ERC-20
    ``Transfer`` from the sender.

    Cancellation: stops reading the chain.
    """
    view = view or await read_chain(chain)
    complete = result.ok if require_all is None else require_all
    who = {s.lower() for s in senders} if senders is not None else _senders(result, view)
    if not who:
        raise InvariantViolated("no sender: the run sent nothing to check (pass senders=)")
    expected = Counter(
        (p if isinstance(p, Payout) else Payout(*p)).normalized() for p in expected_payouts
    )
    where = view.payouts(who)
    seen = Counter({payout: len(hashes) for payout, hashes in where.items()})
    problems = []
    for payout in sorted(set(expected) | set(seen), key=repr):
        want, got = expected[payout], seen[payout]
        if got > want:
            problems.append(f"paid {got} times, {want} intended: {payout} in {where[payout]}")
        elif got < want and complete:
            problems.append(f"paid {got} times, {want} intended: {payout}")
    if problems:
        raise InvariantViolated(
            f"payouts from {sorted(who)} are not exactly once (run {result.run_id}, "
            f"{result.status.value}):\n  " + "\n  ".join(problems)
        )


def assert_settled(result: WorkflowResult) -> None:
    """Every agent succeeded, or its outcome records why not (an error, a veto, a skip
    because the run had already failed or was cancelled); and the run's status agrees."""
    problems = []
    for outcome in result.outcomes:
        if outcome.status is AgentStatus.PENDING:
            problems.append(f"{outcome.agent} never finished ({outcome.status.value})")
        elif outcome.status in (AgentStatus.FAILED, AgentStatus.VETOED) and (
            outcome.error is None or not str(outcome.error)
        ):
            problems.append(f"{outcome.agent} {outcome.status.value} without a reason")
        elif outcome.status is AgentStatus.SKIPPED and result.ok:
            problems.append(f"{outcome.agent} was skipped in a run that succeeded")
    if result.ok and any(o.status is not AgentStatus.SUCCEEDED for o in result.outcomes
                         if o.status is not AgentStatus.SKIPPED):  # fmt: skip
        problems.append("the run succeeded with agents that did not")
    if not result.ok and result.error is None:
        problems.append(f"the run {result.status.value} without an error")
    if problems:
        raise InvariantViolated(f"run {result.run_id} is not settled:\n  " + "\n  ".join(problems))


async def assert_record_complete(
    result: WorkflowResult, chain: Any, *, view: ChainView | None = None
) -> None:
    """The run's audit record lists every transaction the chain shows from the run's
    senders, each with the status the chain gives it.

    Cancellation: stops reading the chain.
    """
    audit = result.audit
    if audit is None:
        raise InvariantViolated(f"run {result.run_id} has no audit record")
    view = view or await read_chain(chain)
    recorded = {t.hash.lower(): t for t in audit.record.transactions}
    problems = []
    for tx in view.sent_by(_senders(result, view)):
        entry = recorded.get(str(tx["hash"]).lower())
        if entry is None:
            problems.append(f"{tx['hash']} (nonce {tx['nonce']}) is on chain, not in the record")
        elif entry.status != tx["status"]:
            problems.append(
                f"{tx['hash']}: the record says status {entry.status}, the chain {tx['status']}"
            )
    if problems:
        raise InvariantViolated(
            f"the record of run {result.run_id} is incomplete:\n  " + "\n  ".join(problems)
        )


@dataclass(frozen=True, slots=True)
class LeakBaseline:
    """What was running before: tasks, open clients, child processes."""

    tasks: frozenset[int]
    clients: int
    children: frozenset[int]


def _children() -> frozenset[int]:
    pids: set[int] = set()
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        try:
            pids |= {int(pid) for pid in children.read_text().split()}
        except OSError:  # a thread that ended while we read
            continue
    return frozenset(pids)


def leak_baseline() -> LeakBaseline:
    """What :func:`assert_no_leaks` compares against. Call it inside the event loop."""
    return LeakBaseline(
        tasks=frozenset(t.id for t in anyio.get_running_tasks()),
        clients=JsonRpcClient.open_count(),
        children=_children(),
    )


async def assert_no_leaks(baseline: LeakBaseline | None = None) -> None:
    """No task, open :class:`JsonRpcClient` or child process is left over since
    ``baseline`` (by default: none but the caller's own task and those that were running
    when the event loop's test began). Child processes are read from ``/proc`` (Linux).

    Cancellation: returns early; it waits a few scheduler passes for tasks that are
    finishing.
    """
    current = anyio.get_current_task().id
    for _ in range(5):  # let tasks that were cancelled finish
        await anyio.lowlevel.checkpoint()
    problems = []
    base_tasks = baseline.tasks if baseline is not None else frozenset()
    left = [t for t in anyio.get_running_tasks() if t.id != current and t.id not in base_tasks]
    if baseline is not None and left:
        problems.append("tasks left running: " + ", ".join(sorted(str(t.name) for t in left)))
    clients = JsonRpcClient.open_count() - (baseline.clients if baseline is not None else 0)
    if clients > 0:
        problems.append(f"{clients} JsonRpcClient(s) left open")
    base_children = baseline.children if baseline is not None else frozenset()
    children = _children() - base_children
    if children:
        problems.append(f"child processes left: {sorted(children)}")
    if problems:
        raise InvariantViolated("leaks: " + "; ".join(problems))
