"""Safe (Safe{Wallet}, formerly Gnosis Safe) 1.4.1: the transaction owners approve
(:class:`SafeTx`, EIP-712), a reader for a deployed Safe, and a deployer for tests and
examples, from the compiled artifacts of ``@safe-global/safe-contracts`` 1.4.1 (kept in
the package; a test checks they equal the pinned npm files).

The digest is Safe's own: ``keccak256(0x1901 || domainSeparator || keccak256(encoded
SafeTx))`` with the domain ``EIP712Domain(uint256 chainId,address verifyingContract)``.
A test compares it with the deployed Safe's ``getTransactionHash`` for random
transactions, and the signatures it yields pass ``execTransaction``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal, Self

import coincurve
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from .._hash import keccak256
from ..errors import InvalidArgument, NotFound
from ..evm.abi import function
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.tx import TxRequest, TxSender
from ..protocols.artifacts import ProtocolArtifact, from_json
from ..rpc.eth import EthRpc

__all__ = [
    "ZERO_ADDRESS",
    "Safe",
    "SafeArtifact",
    "SafeDeployment",
    "SafeTx",
    "deploy_safe",
    "hex_bytes",
    "pack_signatures",
    "recover",
    "recover_lower",
    "safe_artifact",
]

ZERO_ADDRESS = "0x" + "00" * 20
DOMAIN_TYPEHASH = keccak256(b"EIP712Domain(uint256 chainId,address verifyingContract)")
SAFE_TX_TYPEHASH = keccak256(
    b"SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
    b"uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)
SAFE_TX_TYPES = [
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "data", "type": "bytes"},
    {"name": "operation", "type": "uint8"},
    {"name": "safeTxGas", "type": "uint256"},
    {"name": "baseGas", "type": "uint256"},
    {"name": "gasPrice", "type": "uint256"},
    {"name": "gasToken", "type": "address"},
    {"name": "refundReceiver", "type": "address"},
    {"name": "nonce", "type": "uint256"},
]
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0

GET_OWNERS = function("getOwners() returns (address[])")
GET_THRESHOLD = function("getThreshold() returns (uint256)")
NONCE = function("nonce() returns (uint256)")
GET_TRANSACTION_HASH = function(
    "getTransactionHash(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,"
    "uint256) returns (bytes32)"
)
EXEC_TRANSACTION = function(
    "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)"
    " returns (bool)"
)
CHECK_SIGNATURES = function("checkSignatures(bytes32,bytes,bytes)")
SETUP = function("setup(address[],uint256,address,bytes,address,address,uint256,address)")
CREATE_PROXY = function("createProxyWithNonce(address,bytes,uint256) returns (address)")
PROXY_CREATION_TOPIC = "0x" + keccak256(b"ProxyCreation(address,address)").hex()


SafeArtifact = ProtocolArtifact
"""A compiled Safe contract, as ``@safe-global/safe-contracts`` 1.4.1 ships it."""


@cache
def safe_artifact(name: str) -> SafeArtifact:
    """``"Safe"``, ``"SafeL2"``, ``"SafeProxyFactory"``, ``"CompatibilityFallbackHandler"``
    or ``"MultiSend"``."""
    try:
        raw = json.loads(files(__package__).joinpath("safe_artifacts", f"{name}.json").read_text())
    except FileNotFoundError:
        raise NotFound(f"no Safe artifact {name!r}") from None
    return from_json(raw)


class SafeTx(BaseModel):
    """A transaction of the Safe at ``safe`` on ``chain_id``, as its owners approve it.

    ``operation`` 0 is a call, 1 a delegatecall. The gas-refund fields (``safe_tx_gas``,
    ``base_gas``, ``gas_price``, ``gas_token``, ``refund_receiver``) default to none: the
    executor pays its own gas.
    """

    model_config = ConfigDict(frozen=True)

    safe: str
    chain_id: int = Field(gt=0)
    to: str
    value: int = Field(default=0, ge=0, lt=2**256)
    data: bytes = b""
    operation: Literal[0, 1] = 0
    safe_tx_gas: int = Field(default=0, ge=0, lt=2**256)
    base_gas: int = Field(default=0, ge=0, lt=2**256)
    gas_price: int = Field(default=0, ge=0, lt=2**256)
    gas_token: str = ZERO_ADDRESS
    refund_receiver: str = ZERO_ADDRESS
    nonce: int = Field(ge=0, lt=2**256)
    _digest: bytes | None = PrivateAttr(None)

    @field_validator("safe", "to", "gas_token", "refund_receiver")
    @classmethod
    def _address(cls, value: str) -> str:
        return to_checksum(value)

    @field_validator("data", mode="before")
    @classmethod
    def _bytes(cls, value: Any) -> Any:
        return hex_bytes(value)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with ``update``'s fields changed (and so its digest computed afresh)."""
        copy = super().model_copy(update=update, deep=deep)
        copy._digest = None
        return copy

    def domain_separator(self) -> bytes:
        return keccak256(DOMAIN_TYPEHASH + _word(self.chain_id) + _address_word(self.safe))

    def struct_hash(self) -> bytes:
        # Every field of SafeTx encodes to one 32-byte word (``data`` as its keccak): the
        # ABI encoding is their concatenation, written out here because eth_abi's general
        # encoder cost more than the two hashes.
        return keccak256(
            SAFE_TX_TYPEHASH + _address_word(self.to) + _word(self.value)
            + keccak256(self.data) + _word(self.operation) + _word(self.safe_tx_gas)
            + _word(self.base_gas) + _word(self.gas_price) + _address_word(self.gas_token)
            + _address_word(self.refund_receiver) + _word(self.nonce)
        )  # fmt: skip

    def digest(self) -> bytes:
        """The 32-byte EIP-712 hash the owners sign (Safe's ``getTransactionHash``)."""
        if self._digest is None:  # frozen: computed once
            self._digest = keccak256(b"\x19\x01" + self.domain_separator() + self.struct_hash())
        return self._digest

    def typed_data(self) -> dict[str, Any]:
        """The full EIP-712 message, as wallets (and ``Signer.sign_typed_data``) take it."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "SafeTx": SAFE_TX_TYPES,
            },
            "primaryType": "SafeTx",
            "domain": {"chainId": self.chain_id, "verifyingContract": self.safe},
            "message": {
                "to": self.to,
                "value": self.value,
                "data": self.data,
                "operation": self.operation,
                "safeTxGas": self.safe_tx_gas,
                "baseGas": self.base_gas,
                "gasPrice": self.gas_price,
                "gasToken": self.gas_token,
                "refundReceiver": self.refund_receiver,
                "nonce": self.nonce,
            },
        }

    def sign(self, signer: Signer) -> bytes:
        """``signer``'s 65-byte owner signature (``r || s || v``, ``v`` 27 or 28)."""
        signature = bytes(signer.sign_typed_data(self.typed_data()))
        if len(signature) != 65 or recover(self.digest(), signature) != to_checksum(signer.address):
            raise InvalidArgument("signer: its EIP-712 signature does not recover to it")
        return signature

    def exec_calldata(self, signatures: bytes) -> str:
        """``execTransaction`` calldata with ``signatures`` (packed, in owner order)."""
        return EXEC_TRANSACTION.calldata(
            self.to, self.value, self.data, self.operation, self.safe_tx_gas, self.base_gas,
            self.gas_price, self.gas_token, self.refund_receiver, signatures,
        )  # fmt: skip

    def hash_calldata(self) -> str:
        """``getTransactionHash`` calldata: what the deployed Safe says the digest is."""
        return GET_TRANSACTION_HASH.calldata(
            self.to, self.value, self.data, self.operation, self.safe_tx_gas, self.base_gas,
            self.gas_price, self.gas_token, self.refund_receiver, self.nonce,
        )  # fmt: skip


def hex_bytes(value: Any, size: int | None = None) -> Any:
    """``value`` as bytes when it is ``0x``-hex text (else as it is), of ``size`` bytes
    when given: for pydantic validators, which name the field in the error."""
    if isinstance(value, str):
        text = value[2:] if value.startswith("0x") else value
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise InvalidArgument("not 0x-hex bytes") from None
    if size is not None and isinstance(value, bytes) and len(value) != size:
        raise InvalidArgument(f"{len(value)} bytes, not {size}")
    return value


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def recover(digest: bytes, signature: bytes) -> str:
    """The address whose key made the 65-byte ECDSA ``signature`` of ``digest`` (``v`` 27
    or 28, low ``s`` as Safe and EIP-2 require); raises :class:`InvalidArgument`."""
    return to_checksum(recover_lower(digest, signature))


def recover_lower(digest: bytes, signature: bytes) -> str:
    """:func:`recover`, as lower-case hex (no EIP-55 checksum to compute)."""
    if len(signature) != 65:
        raise InvalidArgument(f"signature: {len(signature)} bytes, not 65")
    v = signature[64]
    if v not in (27, 28):
        raise InvalidArgument(f"signature: v is {v}, not 27 or 28 (an ECDSA owner signature)")
    if int.from_bytes(signature[32:64], "big") > _SECP256K1_HALF_N:
        raise InvalidArgument("signature: s is in the upper half of the curve order")
    try:
        key = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes([v - 27]), digest, hasher=None
        )
    except Exception:
        raise InvalidArgument("signature: it does not recover to any key") from None
    return "0x" + keccak256(key.format(compressed=False)[1:])[-20:].hex()


def pack_signatures(signatures: dict[str, bytes]) -> bytes:
    """Owner signatures (owner address -> 65 bytes) packed in ascending owner order, as
    Safe's ``checkSignatures`` requires."""
    return b"".join(signatures[o] for o in sorted(signatures, key=lambda a: int(a, 16)))


class Safe:
    """A deployed Safe: its owners, threshold and nonce, read from the chain.

    Cancellation: every method is a read; cancelled, nothing changed.
    """

    def __init__(self, address: str, eth: EthRpc) -> None:
        self.address = to_checksum(address)
        self.eth = eth

    async def owners(self) -> list[str]:
        raw = await self.eth.call({"to": self.address, "data": GET_OWNERS.calldata()})
        return [to_checksum(o) for o in GET_OWNERS.decode_output(raw)[0]]

    async def threshold(self) -> int:
        raw = await self.eth.call({"to": self.address, "data": GET_THRESHOLD.calldata()})
        return int(GET_THRESHOLD.decode_output(raw)[0])

    async def nonce(self) -> int:
        raw = await self.eth.call({"to": self.address, "data": NONCE.calldata()})
        return int(NONCE.decode_output(raw)[0])

    async def transaction_hash(self, tx: SafeTx) -> bytes:
        """The digest of ``tx`` as the deployed Safe computes it."""
        raw = await self.eth.call({"to": self.address, "data": tx.hash_calldata()})
        return bytes(GET_TRANSACTION_HASH.decode_output(raw)[0])

    async def check_signatures(self, tx: SafeTx, signatures: bytes) -> None:
        """Have the Safe check ``signatures`` of ``tx`` on chain (``eth_call``); raises
        ``ExecutionReverted`` (``GS0xx``) when they do not pass."""
        data = CHECK_SIGNATURES.calldata(tx.digest(), tx.data, signatures)
        await self.eth.call({"to": self.address, "data": data})

    def __repr__(self) -> str:
        return f"<Safe {self.address}>"


@dataclass(frozen=True, slots=True)
class SafeDeployment:
    """What :func:`deploy_safe` deployed."""

    safe: str
    singleton: str
    factory: str
    fallback_handler: str


async def deploy_safe(
    sender: TxSender,
    owners: list[str],
    threshold: int,
    *,
    l2: bool = False,
    salt: int = 0,
    singleton: str | None = None,
    factory: str | None = None,
    fallback_handler: str | None = None,
) -> SafeDeployment:
    """Deploy a Safe proxy with ``owners`` and ``threshold`` through ``sender``: the Safe
    (or SafeL2) singleton, the proxy factory and the fallback handler first, unless their
    addresses are given (to deploy many Safes on one chain). For tests, examples and
    devnets: on a public chain, use Safe's own deployments.

    Cancellation: what was sent stays sent (each step is a transaction).
    """
    if not owners or not 1 <= threshold <= len(owners):
        raise InvalidArgument(f"threshold: {threshold} with {len(owners)} owners")
    if len({to_checksum(o) for o in owners}) != len(owners):
        raise InvalidArgument("owners: an owner is listed twice")
    singleton = singleton or await _deploy(sender, "SafeL2" if l2 else "Safe")
    factory = factory or await _deploy(sender, "SafeProxyFactory")
    fallback_handler = fallback_handler or await _deploy(sender, "CompatibilityFallbackHandler")
    setup = SETUP.encode(
        [to_checksum(o) for o in owners], threshold, ZERO_ADDRESS, b"", fallback_handler,
        ZERO_ADDRESS, 0, ZERO_ADDRESS,
    )  # fmt: skip
    receipt = await sender.send(
        TxRequest(to=factory, data=CREATE_PROXY.calldata(singleton, setup, salt))
    )
    for log in receipt.logs:
        topics = log.get("topics") or []
        if topics and topics[0] == PROXY_CREATION_TOPIC and len(topics) > 1:
            safe = to_checksum("0x" + topics[1][-40:])
            return SafeDeployment(safe, singleton, factory, fallback_handler)
    raise NotFound("deploy_safe: the factory's receipt has no ProxyCreation event")


async def _deploy(sender: TxSender, name: str) -> str:
    receipt = await sender.send(TxRequest(data=safe_artifact(name).bytecode, gas=7_000_000))
    if receipt.contract_address is None:
        raise NotFound(f"{name}: the deployment's receipt has no contract address")
    return to_checksum(receipt.contract_address)
