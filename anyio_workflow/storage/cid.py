"""Content identifiers: :class:`CID` (v0 and v1), with the multiformats they are made of.

A CID is ``<version><codec><multihash>``: unsigned varints for the version and the codec,
and a multihash (``<hash code><digest length><digest>``). CIDv0 is a bare sha2-256
multihash of a dag-pb block, written in base58btc (``Qm...``); CIDv1 is written in
multibase, base32 lower case by default (``b`` + RFC 4648 without padding: ``bafy...``).

Only sha2-256 is hashed here (what kubo, pinning services and gateways use by default);
other hash codes parse and format, so that a CID from elsewhere round-trips.

Why not a library: ``multiformats`` (pure Python) and ``py-cid``/``py-multihash`` were
weighed; computing a CID is one ``hashlib.sha256`` plus a few bytes of framing, and the
framing below is shorter than the glue either would need (``benchmarks/content.py``
measures raw CIDs against bare sha256).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Final

from pydantic_core import core_schema

from ..errors import InvalidArgument, InvalidCID

__all__ = ["CID", "CODECS", "InvalidCID", "varint", "read_varint"]

CODECS: Final = {"raw": 0x55, "dag-pb": 0x70, "dag-cbor": 0x71, "dag-json": 0x0129}
_CODEC_NAMES: Final = {code: name for name, code in CODECS.items()}
SHA2_256: Final = 0x12
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def varint(n: int) -> bytes:
    """Unsigned LEB128, as multiformats use it."""
    if n < 0:
        raise InvalidArgument("varint: must not be negative")
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(data: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """``(value, next offset)``; raises ``ValueError`` on a truncated or overlong varint."""
    value = shift = 0
    for i in range(offset, min(len(data), offset + 9)):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and i > offset:
                raise InvalidArgument("varint: not minimally encoded")
            return value, i + 1
        shift += 7
    raise InvalidArgument("varint: truncated or longer than 9 bytes")


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        try:
            n = n * 58 + _B58_INDEX[c]
        except KeyError:
            raise InvalidCID(f"not base58btc: {c!r}") from None
    pad = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def _b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _b32decode(text: str) -> bytes:
    try:
        return base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError:
        raise InvalidCID("not base32") from None


class CID:
    """An immutable content identifier. ``str(cid)`` is its canonical text form."""

    __slots__ = ("_bytes", "codec", "digest", "hash_code", "version")

    version: int
    codec: int
    hash_code: int
    digest: bytes
    _bytes: bytes

    def __init__(self, version: int, codec: int | str, digest: bytes, hash_code: int = SHA2_256):
        code = CODECS[codec] if isinstance(codec, str) else codec
        if version not in (0, 1):
            raise InvalidCID(f"version: must be 0 or 1, got {version}")
        if version == 0 and (code != CODECS["dag-pb"] or hash_code != SHA2_256):
            raise InvalidCID("a CIDv0 is always a sha2-256 multihash of a dag-pb block")
        if hash_code == SHA2_256 and len(digest) != 32:
            raise InvalidCID(f"a sha2-256 digest is 32 bytes, not {len(digest)}")
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "codec", code)
        object.__setattr__(self, "hash_code", hash_code)
        object.__setattr__(self, "digest", bytes(digest))
        multihash = varint(hash_code) + varint(len(digest)) + digest
        raw = multihash if version == 0 else varint(1) + varint(code) + multihash
        object.__setattr__(self, "_bytes", raw)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CID is immutable")

    def __reduce__(self) -> tuple[type[CID], tuple[int, int, bytes, int]]:
        # Pickled by its fields (a journal keeps records that hold CIDs): the default
        # would set its slots one by one, which an immutable CID refuses.
        return CID, (self.version, self.codec, self.digest, self.hash_code)

    @classmethod
    def of(cls, data: bytes, codec: int | str = "raw", version: int = 1) -> CID:
        """The CID of a block: sha2-256 of ``data`` under ``codec``."""
        return cls(version, codec, hashlib.sha256(data).digest())

    @property
    def codec_name(self) -> str:
        return _CODEC_NAMES.get(self.codec, hex(self.codec))

    @property
    def multihash(self) -> bytes:
        return varint(self.hash_code) + varint(len(self.digest)) + self.digest

    def __bytes__(self) -> bytes:
        """The binary form (what CAR files and DAG-CBOR links hold)."""
        return self._bytes

    def __str__(self) -> str:
        if self.version == 0:
            return b58encode(self._bytes)
        return "b" + _b32encode(self._bytes)

    def encode(self, base: str = "base32") -> str:
        """The text form in ``base32`` (``b``...) or ``base58btc`` (``z``...; CIDv1 only)."""
        if self.version == 0 or base == "base32":
            return str(self)
        if base == "base58btc":
            return "z" + b58encode(self._bytes)
        raise InvalidArgument(f"base: base32 or base58btc, not {base!r}")

    def to_v1(self) -> CID:
        return CID(1, self.codec, self.digest, self.hash_code)

    def verify(self, data: bytes) -> bool:
        """Whether ``data`` is the block this CID names (sha2-256 only)."""
        if self.hash_code != SHA2_256:
            raise InvalidCID(f"cannot check hash code {self.hash_code:#x}, only sha2-256")
        return hashlib.sha256(data).digest() == self.digest

    @classmethod
    def decode(cls, raw: bytes) -> CID:
        """A CID from its binary form."""
        cid, end = cls.read(raw)
        if end != len(raw):
            raise InvalidCID(f"{len(raw) - end} bytes after the CID")
        return cid

    @classmethod
    def read(cls, data: bytes | memoryview, offset: int = 0) -> tuple[CID, int]:
        """A CID at ``offset`` of ``data``, and the offset after it."""
        try:
            if data[offset : offset + 2] == b"\x12\x20":  # a bare multihash: CIDv0
                end = offset + 34
                if len(data) < end:
                    raise InvalidCID("truncated CIDv0")
                return cls(0, "dag-pb", bytes(data[offset + 2 : end])), end
            version, i = read_varint(data, offset)
            if version != 1:
                raise InvalidCID(f"unknown CID version {version}")
            codec, i = read_varint(data, i)
            hash_code, i = read_varint(data, i)
            length, i = read_varint(data, i)
            if len(data) < i + length:
                raise InvalidCID("truncated multihash")
            return cls(1, codec, bytes(data[i : i + length]), hash_code), i + length
        except ValueError as exc:
            if isinstance(exc, InvalidCID):
                raise
            raise InvalidCID(str(exc)) from None

    @classmethod
    def parse(cls, value: str | bytes | CID) -> CID:
        """A CID from text (``Qm...``, ``b...``, ``z...``) or binary form."""
        if isinstance(value, CID):
            return value
        if isinstance(value, bytes | bytearray):
            return cls.decode(bytes(value))
        if not isinstance(value, str) or not value:
            raise InvalidCID(f"not a CID: {value!r}")
        if len(value) == 46 and value.startswith("Qm"):
            return cls.decode(b58decode(value))
        if value[0] == "b":
            return cls.decode(_b32decode(value[1:]))
        if value[0] == "z":
            return cls.decode(b58decode(value[1:]))
        raise InvalidCID(f"not a CID (unknown multibase {value[0]!r}): {value[:60]!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CID) and self._bytes == other._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __repr__(self) -> str:
        return f"CID({str(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        """In pydantic models a CID validates from its text and dumps as its text."""
        return core_schema.no_info_plain_validator_function(
            lambda v: cls.parse(v),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )
