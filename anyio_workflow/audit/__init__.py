"""Audit trail: Merkle proofs (OpenZeppelin-compatible), signed content-addressed records,
on-chain anchoring, and verification. Not zero-knowledge proofs: inclusion proofs and
signatures, which is what an auditor can check."""

from .auditor import ANCHORED_TOPIC, AnchorTarget, AuditorAgent, Check, verify_record
from .merkle import MultiProof, StandardMerkleTree, leaf_hash, node_hash, process_proof
from .record import (
    LEAF_ENCODING,
    AgentEntry,
    AuditRecord,
    AuditSummary,
    Envelope,
    TxEntry,
    build_record,
    record_leaves,
    sign_record,
)

__all__ = [
    "ANCHORED_TOPIC",
    "LEAF_ENCODING",
    "AgentEntry",
    "AnchorTarget",
    "AuditRecord",
    "AuditSummary",
    "AuditorAgent",
    "Check",
    "Envelope",
    "MultiProof",
    "StandardMerkleTree",
    "TxEntry",
    "build_record",
    "leaf_hash",
    "node_hash",
    "process_proof",
    "record_leaves",
    "sign_record",
    "verify_record",
]
