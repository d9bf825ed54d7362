"""Typed Solana method helpers over a :class:`JsonRpcClient`: lamports are ``int``."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ..chains.caip import solana_id
from ..errors import InvalidResponse
from ..rpc.client import JsonRpcClient

__all__ = [
    "AccountInfo",
    "Blockhash",
    "SignatureStatus",
    "Simulation",
    "SolanaRpc",
    "TokenAmount",
]


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


@dataclass(frozen=True, slots=True)
class AccountInfo:
    lamports: int
    owner: str
    data: bytes
    executable: bool


@dataclass(frozen=True, slots=True)
class Simulation:
    """What ``simulateTransaction`` says a transaction would do."""

    err: Any
    """``None`` when it would succeed; Solana's error object otherwise."""
    logs: tuple[str, ...]
    units_consumed: int | None


@dataclass(frozen=True, slots=True)
class TokenAmount:
    """An SPL token balance: ``amount`` base units of a mint with ``decimals``."""

    amount: int
    decimals: int


def _int(value: Any, method: str, what: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidResponse(f"{method}: {what} is not a non-negative integer", method=method)
    return value


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

    async def get_account_info(self, pubkey: str) -> AccountInfo | None:
        """The account, or ``None`` when it does not exist."""
        method = "getAccountInfo"
        params = [pubkey, {"encoding": "base64", "commitment": self.commitment}]
        value = _value(await self.client.request(method, params), method)
        if value is None:
            return None
        try:
            data, encoding = value["data"]
            if encoding != "base64":
                raise InvalidResponse(f"{method}: data in {encoding}, not base64", method=method)
            return AccountInfo(
                lamports=_int(value["lamports"], method, "lamports"), owner=str(value["owner"]),
                data=base64.b64decode(data), executable=bool(value["executable"]),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            raise InvalidResponse(f"{method}: malformed account", method=method) from None

    async def get_minimum_balance_for_rent_exemption(self, size: int) -> int:
        method = "getMinimumBalanceForRentExemption"
        result = await self.client.request(method, [size, {"commitment": self.commitment}])
        return _int(result, method, "the balance")

    async def get_fee_for_message(self, message: bytes) -> int | None:
        """The base fee of a message (serialized with its version:
        ``solders.message.to_bytes_versioned``), in lamports (``None``: its blockhash has
        expired)."""
        method = "getFeeForMessage"
        encoded = base64.b64encode(message).decode()
        value = _value(
            await self.client.request(method, [encoded, {"commitment": self.commitment}]), method
        )
        return None if value is None else _int(value, method, "the fee")

    async def get_recent_prioritization_fees(self, accounts: list[str] | None = None) -> list[int]:
        """The prioritization fees (micro-lamports per compute unit) paid in recent
        slots, for transactions that lock ``accounts``: the market a compute-unit price
        is chosen from."""
        method = "getRecentPrioritizationFees"
        result = await self.client.request(method, [accounts or []])
        if not isinstance(result, list):
            raise InvalidResponse(f"{method}: expected a list", method=method)
        try:
            return [_int(entry["prioritizationFee"], method, "a fee") for entry in result]
        except (KeyError, TypeError):
            raise InvalidResponse(f"{method}: malformed entry", method=method) from None

    async def simulate_transaction(self, signed: bytes) -> Simulation:
        """What the signed transaction would do now (nothing is sent)."""
        method = "simulateTransaction"
        options = {"encoding": "base64", "commitment": self.commitment, "sigVerify": True}
        encoded = base64.b64encode(signed).decode()
        value = _value(await self.client.request(method, [encoded, options]), method)
        try:
            units = value.get("unitsConsumed")
            return Simulation(
                err=value.get("err"), logs=tuple(value.get("logs") or ()),
                units_consumed=None if units is None else _int(units, method, "units"),
            )  # fmt: skip
        except AttributeError:
            raise InvalidResponse(f"{method}: malformed value", method=method) from None

    async def get_token_account_balance(self, pubkey: str) -> TokenAmount:
        """An SPL token account's balance, in base units with its mint's decimals."""
        method = "getTokenAccountBalance"
        value = _value(
            await self.client.request(method, [pubkey, {"commitment": self.commitment}]), method
        )
        try:
            return TokenAmount(int(value["amount"]), _int(value["decimals"], method, "decimals"))
        except (KeyError, TypeError, ValueError):
            raise InvalidResponse(f"{method}: malformed value", method=method) from None

    async def get_block_height(self) -> int:
        result = await self.client.request("getBlockHeight", [{"commitment": self.commitment}])
        return _int(result, "getBlockHeight", "the height")

    async def chain_id(self) -> str:
        """The cluster's CAIP-2 id, from its genesis hash."""
        result = await self.client.request("getGenesisHash", [])
        if not isinstance(result, str):
            raise InvalidResponse("getGenesisHash: expected a hash", method="getGenesisHash")
        return solana_id(result)

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
