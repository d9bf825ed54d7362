"""The :class:`AuditorAgent`, on-chain anchoring, and :func:`verify_record`.

The auditor runs last (shielded, after success, failure or cancellation alike), builds
the run's :class:`AuditRecord`, signs it, and, with ``auto_store_proofs=True`` in the
workflow's config, stores both blocks and pins the envelope. With an
:class:`AnchorTarget` it then anchors ``(merkle_root, cid)`` in an ``AuditAnchor``
contract's event: one transaction through the EVM pipeline, on any chain the workflow
has an RPC for (not necessarily the one the work ran on). A failed anchor does not fail
the audit: ``result.audit.anchor_error`` says what happened, and ``anchor_tx`` keeps the
hash if one was sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from eth_abi.abi import decode
from eth_account import Account

from .._hash import keccak256
from ..agents.base import BaseAgent, Role
from ..contracts import artifact
from ..errors import AnyioWorkflowError
from ..evm.abi import function
from ..evm.accounts import LocalSigner, Signer
from ..evm.address import to_checksum
from ..evm.tx import TransactionError, TxRequest
from ..rpc.eth import EthRpc
from ..storage.cid import CID
from ..storage.stores import ContentStore, GatewayReader, MemoryStore
from .merkle import StandardMerkleTree
from .record import (
    LEAF_ENCODING,
    AuditRecord,
    AuditSummary,
    Envelope,
    build_record,
    proofs_by_id,
    record_leaves,
    sign_record,
)

if TYPE_CHECKING:
    from ..workflow.context import RunContext
    from ..workflow.task import Task

__all__ = ["ANCHORED_TOPIC", "AnchorTarget", "AuditorAgent", "Check", "verify_record"]

ANCHOR = function("anchor(bytes32,string)")
ANCHORED_TOPIC = "0x" + keccak256(b"Anchored(address,bytes32,string)").hex()


@dataclass(frozen=True)
class AnchorTarget:
    """Where to anchor: an ``AuditAnchor`` contract on ``chain_id``, paid by ``signer``."""

    chain_id: int
    address: str
    signer: Signer

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", to_checksum(self.address))


class AuditorAgent(BaseAgent):
    """Builds, signs, stores and (optionally) anchors the run's audit record.

    ``signer`` signs the records (a fresh key per agent when not given: the records are
    still signed and chained, but by a key nobody else knows; give one to be verifiable
    against a known auditor). ``store`` defaults to the workflow's ``store`` service, then
    to an in-memory store of this agent's (``auditor.store``). Records of one auditor form
    a hash chain: each links the envelope CID of the one before.
    """

    role = Role.AUDITOR

    def __init__(
        self,
        name: str | None = None,
        *,
        signer: Signer | None = None,
        store: ContentStore | None = None,
        anchor: AnchorTarget | None = None,
    ) -> None:
        super().__init__(name)
        self.signer: Signer = signer or LocalSigner("0x" + _random_key())
        self.store: ContentStore | None = store
        self.anchor = anchor
        self.previous: CID | None = None
        """The envelope CID of the last record this auditor made."""
        self._lock = anyio.Lock()  # concurrent runs still make one chain

    def _store(self, ctx: RunContext) -> ContentStore:
        if self.store is None:
            self.store = ctx.services.get("store") or MemoryStore()
        return self.store

    async def execute(self, task: Task, ctx: RunContext) -> AuditSummary:
        async with self._lock:
            record, tree = build_record(
                run_id=ctx.run_id,
                status=ctx.status.value if ctx.status is not None else "unknown",
                task=task.model_dump(mode="json", exclude={"idempotency_key"}),
                config=ctx.config.model_dump(mode="json"),
                outcomes=[o for o in ctx.outcomes if o.role is not Role.AUDITOR],
                duration=ctx.elapsed(),
                previous=self.previous,
            )
            envelope = sign_record(record, self.signer)
            summary = AuditSummary(
                cid=envelope.cid,
                record_cid=envelope.record,
                root=tree.root,
                record=record,
                envelope=envelope,
                tree=tree,
                proofs=proofs_by_id(tree),
            )
            if ctx.config.auto_store_proofs:
                store = self._store(ctx)
                await store.put(record.encode(), codec="dag-json")
                await store.put(envelope.encode(), codec="dag-json")
                await store.pin(envelope.cid)
                await store.pin(envelope.record)
                summary.stored = True
            self.previous = envelope.cid
        if self.anchor is not None:
            await self._anchor(ctx, summary)
        return summary

    async def _anchor(self, ctx: RunContext, summary: AuditSummary) -> None:
        target = self.anchor
        assert target is not None
        data = ANCHOR.encode(bytes.fromhex(summary.root[2:]), str(summary.cid))
        sender = ctx.sender(target.signer, target.chain_id)
        try:
            receipt = await sender.send(TxRequest(to=target.address, data="0x" + data.hex()))
        except TransactionError as exc:
            summary.anchor_tx = exc.hashes[-1] if exc.hashes else None
            summary.anchor_error = exc.short_message
        except AnyioWorkflowError as exc:
            summary.anchor_error = exc.short_message
        else:
            summary.anchor_tx = receipt.hash


def _random_key() -> str:
    return bytes(Account.create().key).hex()


# -- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One verdict of :func:`verify_record`."""

    name: str
    ok: bool
    detail: str


async def verify_record(
    cid: CID | str,
    store: ContentStore | GatewayReader,
    *,
    auditor: str | None = None,
    eth: EthRpc | None = None,
    anchor: str | None = None,
    from_block: int = 0,
) -> tuple[list[Check], AuditRecord | None]:
    """Check a published record: its bytes against its CID, the signature (by
    ``auditor`` when given), the Merkle root against the outcomes, the link to the previous
    record, and (with ``eth``, and ``anchor`` to name the contract) the anchor event."""
    checks: list[Check] = []
    cid = CID.parse(cid)
    try:
        envelope = Envelope.decode(await store.get(cid))
        record = AuditRecord.decode(await store.get(envelope.record))
    except (AnyioWorkflowError, ValueError) as exc:
        short = exc.short_message if isinstance(exc, AnyioWorkflowError) else str(exc)
        checks.append(Check("content", False, f"cannot read {cid}: {short}"))
        return checks, None
    checks.append(Check("content", True, f"the envelope and record {envelope.record} match"))

    try:
        signer = envelope.signer()
    except Exception as exc:  # a malformed signature: eth-account's error type varies
        checks.append(Check("signature", False, f"unreadable signature ({type(exc).__name__})"))
    else:
        expected = to_checksum(auditor if auditor else envelope.auditor)
        ok = signer == expected
        detail = f"signed by {signer}" + ("" if ok else f", expected {expected}")
        checks.append(Check("signature", ok, detail))

    leaves = record_leaves(record.run_id, record.agents, record.transactions)
    root = StandardMerkleTree.of(leaves, LEAF_ENCODING).root
    ok = root == record.merkle_root
    checks.append(
        Check("merkle root", ok, f"{len(leaves)} leaves give {root}"
              + ("" if ok else f", the record says {record.merkle_root}"))
    )  # fmt: skip

    if record.previous is None:
        checks.append(Check("chain", True, "the first record of its auditor"))
    else:
        try:
            previous = Envelope.decode(await store.get(record.previous))
            same = previous.signer() == envelope.auditor
            detail = f"links {record.previous}" + ("" if same else ", by another auditor")
            checks.append(Check("chain", same, detail))
        except Exception as exc:
            short = exc.short_message if isinstance(exc, AnyioWorkflowError) else type(exc).__name__
            checks.append(Check("chain", False, f"previous {record.previous}: {short}"))

    if eth is not None:
        checks.append(await _check_anchor(eth, cid, record, anchor, from_block))
    return checks, record


async def _check_anchor(
    eth: EthRpc, cid: CID, record: AuditRecord, anchor: str | None, from_block: int
) -> Check:
    filter_: dict[str, Any] = {
        "fromBlock": hex(from_block),
        "toBlock": "latest",
        "topics": [ANCHORED_TOPIC, None, record.merkle_root],
    }
    if anchor:
        filter_["address"] = to_checksum(anchor)
    try:
        logs = await eth.get_logs(filter_)
    except AnyioWorkflowError as exc:
        return Check("anchor", False, f"cannot read logs: {exc.short_message}")
    for log in logs:
        if _anchored_cid(log) == str(cid):
            where = f"block {log.get('blockNumber')}, tx {log.get('transactionHash')}"
            return Check("anchor", True, where)
    return Check("anchor", False, f"no Anchored event for root {record.merkle_root} and {cid}")


def _anchored_cid(log: dict[str, Any]) -> str | None:
    try:
        data = bytes.fromhex(str(log["data"])[2:])
        (text,) = decode(["string"], data)
        return str(text)
    except Exception:
        return None


def anchor_abi() -> Sequence[dict[str, Any]]:
    """The ``AuditAnchor`` contract's ABI (its artifact is in ``anyio_workflow.contracts``)."""
    return artifact("AuditAnchor").abi
