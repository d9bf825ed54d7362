"""Typed Solana method helpers over a :class:`JsonRpcClient`: lamports are ``int``."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidResponse
from ..rpc.client import JsonRpcClient

__all__ = ["Blockhash", "SignatureStatus", "SolanaRpc"]


@dataclass(frozen=True, slots=True)
class Blockhash:
    blockhash: str
    last_valid_block_height: int


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    slot: int
    confirmations: int | None
    """``None`` once the block is rooted (finalized)."""
    err: Any
    confirmation_status: str | None


def _value(result: Any, method: str) -> Any:
    if not isinstance(result, dict) or "value" not in result:
        raise InvalidResponse(f"{method}: expected an object with a value", method=method)
    return result["value"]


class SolanaRpc:
    """The Solana methods the library uses, typed.

    Cancellation: each method is one JSON-RPC call; cancelled, the request is abandoned
    (a ``send_transaction`` that reached the node stays sent).
    """

    def __init__(self, client: JsonRpcClient, *, commitment: str = "confirmed") -> None:
        self.client = client
        self.commitment = commitment

    async def get_balance(self, pubkey: str) -> int:
        result = await self.client.request("getBalance", [pubkey, {"commitment": self.commitment}])
        value = _value(result, "getBalance")
        if type(value) is not int or value < 0:
            raise InvalidResponse(
                "getBalance: the value is not a lamport count", method="getBalance"
            )
        return value

    async def get_latest_blockhash(self) -> Blockhash:
        result = await self.client.request("getLatestBlockhash", [{"commitment": self.commitment}])
        value = _value(result, "getLatestBlockhash")
        try:
            return Blockhash(str(value["blockhash"]), int(value["lastValidBlockHeight"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidResponse(
                "getLatestBlockhash: malformed value", method="getLatestBlockhash"
            ) from None

    async def send_transaction(self, signed: bytes, *, skip_preflight: bool = False) -> str:
        """Send a signed, serialized transaction; returns its signature (base58)."""
        options = {
            "encoding": "base64",
            "skipPreflight": skip_preflight,
            "preflightCommitment": self.commitment,
        }
        encoded = base64.b64encode(signed).decode()
        result = await self.client.request("sendTransaction", [encoded, options])
        if not isinstance(result, str):
            raise InvalidResponse("sendTransaction: expected a signature", method="sendTransaction")
        return result

    async def get_signature_statuses(self, signatures: list[str]) -> list[SignatureStatus | None]:
        result = await self.client.request(
            "getSignatureStatuses", [signatures, {"searchTransactionHistory": True}]
        )
        value = _value(result, "getSignatureStatuses")
        if not isinstance(value, list) or len(value) != len(signatures):
            raise InvalidResponse(
                "getSignatureStatuses: one status per signature expected",
                method="getSignatureStatuses",
            )
        return [
            None
            if status is None
            else SignatureStatus(
                slot=int(status["slot"]),
                confirmations=status.get("confirmations"),
                err=status.get("err"),
                confirmation_status=status.get("confirmationStatus"),
            )
            for status in value
        ]
