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
    checked: bool = True
    """False for a check that could not be made (authorship with nothing to check it
    against): it is not a failure, and not a pass either."""


async def verify_record(
    cid: CID | str,
    store: ContentStore | GatewayReader,
    *,
    auditor: str | None = None,
    eth: EthRpc | None = None,
    anchor: str | None = None,
    from_block: int = 0,
) -> tuple[list[Check], AuditRecord | None]:
    """Check a published record. Integrity: its bytes against its CID and their canonical
    encoding, the signature against the auditor the envelope names, the Merkle root
    against the outcomes, the link to the previous record, and (with ``eth``, and
    ``anchor`` to name the contract) the anchor event. Authorship, separately: the signer
    must be ``auditor`` when given, else the sender of the record's anchor; with neither,
    the ``authorship`` check is made with ``checked=False`` ("not checked"): anyone can
    sign a record and name themselves in it.

    Cancellation: it only reads; cancelled, no verdict is returned.
    """
    checks: list[Check] = []
    cid = CID.parse(cid)
    try:
        raw_envelope = await store.get(cid)
        envelope = Envelope.decode(raw_envelope)
        raw_record = await store.get(envelope.record)
        record = AuditRecord.decode(raw_record)
    except (AnyioWorkflowError, ValueError) as exc:
        short = exc.short_message if isinstance(exc, AnyioWorkflowError) else str(exc)
        checks.append(Check("content", False, f"cannot read {cid}: {short}"))
        return checks, None
    if envelope.encode() != raw_envelope or record.encode() != raw_record:
        # Another encoding of the same data would be another CID for the same record.
        checks.append(Check("content", False, "the blocks are not canonical DAG-JSON"))
        return checks, None
    checks.append(Check("content", True, f"the envelope and record {envelope.record} match"))

    signer: str | None = None
    try:
        signer = envelope.signer()
    except Exception as exc:  # a malformed signature: eth-account's error type varies
        checks.append(Check("signature", False, f"unreadable signature ({type(exc).__name__})"))
    else:
        claimed = to_checksum(envelope.auditor)
        ok = signer == claimed
        detail = f"signed by {signer}" + ("" if ok else f", but the envelope names {claimed}")
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

    anchored_by: str | None = None
    if eth is not None:
        check, anchored_by = await _check_anchor(eth, cid, record, anchor, from_block)
        checks.append(check)
    checks.append(_authorship(signer, auditor, anchored_by))
    return checks, record


def _authorship(signer: str | None, auditor: str | None, anchored_by: str | None) -> Check:
    if signer is None:
        return Check("authorship", False, "no readable signature")
    if auditor is not None:
        expected = to_checksum(auditor)
        ok = signer == expected
        return Check("authorship", ok, f"signed by {signer}" + ("" if ok else f", not {expected}"))
    if anchored_by is not None:
        ok = signer == anchored_by
        detail = (
            f"signed by {signer}, the sender of its anchor"
            if ok
            else (f"signed by {signer}, but anchored by {anchored_by}")
        )
        return Check("authorship", ok, detail)
    return Check(
        "authorship", False, f"signed by {signer}; authorship not checked (give the auditor's "
        "address, or the chain its anchor is on)", checked=False,
    )  # fmt: skip


async def _check_anchor(
    eth: EthRpc, cid: CID, record: AuditRecord, anchor: str | None, from_block: int
) -> tuple[Check, str | None]:
    """The anchor check, and the address that anchored the record (the event's auditor,
    the anchoring transaction's sender) when it was found."""
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
        return Check("anchor", False, f"cannot read logs: {exc.short_message}"), None
    for log in logs:
        if _anchored_cid(log) == str(cid):
            where = f"block {log.get('blockNumber')}, tx {log.get('transactionHash')}"
            topics = log.get("topics") or []
            sender = to_checksum("0x" + str(topics[1])[-40:]) if len(topics) > 1 else None
            return Check("anchor", True, where), sender
    missing = f"no Anchored event for root {record.merkle_root} and {cid}"
    return Check("anchor", False, missing), None


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
