"""Solana keys: :class:`SolanaSigner`, an ed25519 keypair held by ``solders`` (the
Rust-backed library the ecosystem uses), from a base58 secret key, its 64 bytes, or the
Solana CLI's keypair file (a JSON array of the 64 bytes). Its repr and its errors never
show the secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from ..errors import InvalidArgument, InvalidType

__all__ = ["SolanaSigner"]


class SolanaSigner:
    """An ed25519 keypair that signs Solana transactions.

    ``secret`` is the base58 secret key the wallets export (64 bytes: seed and public key),
    those 64 bytes, or a ``SecretStr`` of the base58 text.
    """

    __slots__ = ("_keypair",)

    def __init__(self, secret: str | SecretStr | bytes) -> None:
        try:
            if isinstance(secret, SecretStr):
                secret = secret.get_secret_value()
            if isinstance(secret, str):
                self._keypair = Keypair.from_base58_string(secret.strip())
            elif isinstance(secret, bytes | bytearray) and len(secret) == 64:
                self._keypair = Keypair.from_bytes(bytes(secret))
            else:
                raise ValueError
        except BaseException as exc:  # solders panics (a BaseException) on some bad keys
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            raise InvalidArgument(
                "secret: not a Solana secret key (base58 text, or its 64 bytes)"
            ) from None

    @classmethod
    def from_file(cls, path: str | Path) -> SolanaSigner:
        """From the Solana CLI's keypair file (``solana-keygen new -o PATH``): a JSON
        array of the 64 secret-key bytes."""
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise InvalidArgument(
                f"path: cannot read a keypair file ({type(exc).__name__})"
            ) from None
        if (
            not isinstance(raw, list)
            or len(raw) != 64
            or not all(isinstance(b, int) and 0 <= b < 256 for b in raw)
        ):
            raise InvalidArgument("path: a keypair file holds a JSON array of 64 bytes")
        return cls(bytes(raw))

    @classmethod
    def generate(cls) -> SolanaSigner:
        """A new random keypair (for tests and devnets)."""
        return cls(bytes(Keypair()))

    @property
    def pubkey(self) -> Pubkey:
        return self._keypair.pubkey()

    @property
    def address(self) -> str:
        """The base58 public key."""
        return str(self._keypair.pubkey())

    def sign_message(self, message: bytes) -> bytes:
        """The 64-byte ed25519 signature of ``message``."""
        return bytes(self._keypair.sign_message(message))

    def sign_instructions(
        self, instructions: list[Instruction], blockhash: str, *, payer: Any = None
    ) -> VersionedTransaction:
        """A v0 transaction of ``instructions``, paid for and signed by this key (the one
        signer), valid while ``blockhash`` is."""
        message = MessageV0.try_compile(
            payer or self.pubkey, instructions, [], Hash.from_string(blockhash)
        )
        return VersionedTransaction(message, [self._keypair])

    def secret_base58(self) -> SecretStr:
        """The secret key as base58, wrapped so that it is not printed by accident."""
        return SecretStr(str(self._keypair))

    def __repr__(self) -> str:
        return f"<SolanaSigner {self.address}>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise InvalidType("SolanaSigner holds a secret key and cannot be pickled")
