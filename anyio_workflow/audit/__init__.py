"""Audit trail: Merkle proofs (OpenZeppelin-compatible), signed content-addressed records,
on-chain anchoring, and verification. Not zero-knowledge proofs: inclusion proofs and
signatures, which is what an auditor can check.

The agent that makes the records, :class:`~anyio_workflow.agents.AuditorAgent`, lives
with the other agents, a layer above this package; importing it from here still works
(``__getattr__`` below, with a ``DeprecationWarning``), the one import of this package
that reaches upward, and only when that name is asked for.
"""

from typing import Any

from .auditor import ANCHORED_TOPIC, AnchorTarget, Check, verify_record
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


def __getattr__(name: str) -> Any:
    if name == "AuditorAgent":
        import warnings

        warnings.warn(
            "anyio_workflow.audit.AuditorAgent moved: import it from anyio_workflow.agents "
            "(or anyio_workflow)",
            DeprecationWarning,
            stacklevel=2,
        )
        from ..agents.auditor import AuditorAgent  # moved-name alias, see the docstring

        return AuditorAgent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
