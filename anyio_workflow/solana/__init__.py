"""Solana: keys (:class:`SolanaSigner`) and the JSON-RPC methods a payout and a program
call need (:class:`SolanaRpc`), typed. The embedded Solana devnet is with the other
devnets, in :mod:`anyio_workflow.devnet`."""

from .client import AccountInfo, Blockhash, SignatureStatus, Simulation, SolanaRpc, TokenAmount
from .signer import SolanaSigner

__all__ = [
    "AccountInfo",
    "Blockhash",
    "SignatureStatus",
    "Simulation",
    "SolanaRpc",
    "SolanaSigner",
    "TokenAmount",
]
