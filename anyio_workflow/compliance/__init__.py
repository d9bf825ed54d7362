"""Multi-sig compliance on a real Safe: the transactions owners approve (Safe's EIP-712
``SafeTx``), where approvals come from, and the agents that check them before anything
moves and move the money through the Safe's ``execTransaction``."""

from .agents import (
    ComplianceAgent,
    Payment,
    SafeTransferAgent,
    ScreeningAgent,
    SpendLedger,
    TreasuryAgent,
    payment_of,
    safe_tx_for,
)
from .approvals import (
    Approval,
    ApprovalSource,
    CallbackApprovals,
    DirectoryApprovals,
    InMemoryApprovals,
    Tally,
    approval_of,
    approve,
    tally,
)
from .safe import (
    ZERO_ADDRESS,
    Safe,
    SafeArtifact,
    SafeDeployment,
    SafeTx,
    deploy_safe,
    pack_signatures,
    recover,
    safe_artifact,
)

__all__ = [
    "ZERO_ADDRESS",
    "Approval",
    "ApprovalSource",
    "CallbackApprovals",
    "ComplianceAgent",
    "DirectoryApprovals",
    "InMemoryApprovals",
    "Payment",
    "SafeTransferAgent",
    "ScreeningAgent",
    "SpendLedger",
    "TreasuryAgent",
    "Tally",
    "approval_of",
    "approve",
    "payment_of",
    "safe_tx_for",
    "tally",
    "Safe",
    "SafeArtifact",
    "SafeDeployment",
    "SafeTx",
    "deploy_safe",
    "pack_signatures",
    "recover",
    "safe_artifact",
]
