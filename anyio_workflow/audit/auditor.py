"""On-chain anchoring targets and :func:`verify_record`.

The agent that builds, signs, stores and anchors records is
:class:`anyio_workflow.agents.AuditorAgent`; this module holds what it and a verifier
share: where to anchor (:class:`AnchorTarget`, the ``anchor(bytes32,string)`` call and
its event's topic) and how to check a published record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode

from .._hash import keccak256
from ..contracts import artifact
from ..errors import AnyioWorkflowError
from ..evm.abi import function
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..rpc.eth import EthRpc
from ..storage.cid import CID
from ..storage.stores import ContentStore, GatewayReader
from .merkle import StandardMerkleTree
from .record import LEAF_ENCODING, AuditRecord, Envelope, record_leaves

__all__ = ["ANCHOR", "ANCHORED_TOPIC", "AnchorTarget", "Check", "anchor_abi", "verify_record"]

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
    record, and (with ``eth``, and ``anchor`` to name the contract) the anchor event.

    Cancellation: it only reads; cancelled, no verdict is returned.
    """
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
