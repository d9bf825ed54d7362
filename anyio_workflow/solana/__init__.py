"""Solana: the JSON-RPC client helpers (and, as they come, signing, transactions and
agents). The embedded Solana devnet is with the other devnets, in :mod:`anyio_workflow.devnet`."""

from .client import Blockhash, SignatureStatus, SolanaRpc

__all__ = ["Blockhash", "SignatureStatus", "SolanaRpc"]
