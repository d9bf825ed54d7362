"""Keccak-256, as fast as this machine allows.

safe-pysha3 (a dependency) hashes 64 bytes in about 1.2 us here, pycryptodome (through
eth-hash, which tries it first) in about 10 us; Merkle trees of 100,000 leaves need
300,000 hashes. The fallback keeps the package importable where the C extension is not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["keccak256", "keccak_256"]

keccak256: Callable[[bytes], bytes]

try:
    from sha3 import keccak_256  # a hashlib-style constructor, for hot loops

    def keccak256(data: bytes) -> bytes:
        """The Keccak-256 digest of ``data`` (Ethereum's, not SHA3-256)."""
        digest: bytes = keccak_256(data).digest()
        return digest

except ImportError:  # pragma: no cover - safe-pysha3 is a dependency
    from Crypto.Hash import keccak as _keccak

    def keccak_256(data: bytes) -> Any:
        return _keccak.new(digest_bits=256, data=data)

    def keccak256(data: bytes) -> bytes:
        """The Keccak-256 digest of ``data`` (Ethereum's, not SHA3-256)."""
        digest: bytes = keccak_256(data).digest()
        return digest
