"""Canonical DAG-JSON and DAG-CBOR, so that the same record always gets the same CID.

The IPLD data model: null, booleans, integers, floats, strings, bytes, lists, maps with
string keys, and links (:class:`CID`). Both codecs here write the one canonical form and
refuse what has none (NaN and infinities, non-string keys, integers outside 64 bits).

DAG-JSON (codec 0x0129): keys sorted by their UTF-8 bytes, no whitespace, a link is
``{"/": "<cid>"}``, bytes are ``{"/": {"bytes": "<base64, no padding>"}}``; a map whose
only key is ``"/"`` is therefore refused as data.

DAG-CBOR (codec 0x71): the shortest form of every integer and length, keys sorted by
length and then bytewise (RFC 7049's canonical order, which the spec keeps), floats always
64-bit, a link is tag 42 over ``0x00 + <binary CID>``.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import DagError
from .cid import CID

__all__ = ["DagError", "dag_cbor_decode", "dag_cbor_encode", "dag_json_decode", "dag_json_encode"]

_INT64 = 2**64


# -- DAG-JSON --------------------------------------------------------------------------


def _json_ready(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise DagError(f"{path}: integer outside 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DagError(f"{path}: {value} has no DAG-JSON form")
        return value
    if isinstance(value, CID):
        return {"/": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"/": {"bytes": base64.b64encode(bytes(value)).decode().rstrip("=")}}
    if isinstance(value, Mapping):
        if list(value) == ["/"]:
            raise DagError(f'{path}: a map whose only key is "/" reads back as a link')
        out = {}
        for key in sorted(value, key=_utf8_key(path)):
            out[key] = _json_ready(value[key], f"{path}.{key}")
        return out
    if isinstance(value, Sequence):
        return [_json_ready(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise DagError(f"{path}: {type(value).__name__} is not in the IPLD data model")


def _utf8_key(path: str) -> Any:
    def key(k: object) -> bytes:
        if not isinstance(k, str):
            raise DagError(f"{path}: map keys must be strings, got {type(k).__name__}")
        return k.encode()

    return key


def dag_json_encode(value: Any) -> bytes:
    """The canonical DAG-JSON bytes of ``value``."""
    ready = _json_ready(value, "$")
    return json.dumps(ready, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _json_hook(obj: dict[str, Any]) -> Any:
    if "/" in obj and len(obj) == 1:
        inner = obj["/"]
        if isinstance(inner, str):
            return CID.parse(inner)
        if isinstance(inner, dict) and list(inner) == ["bytes"]:
            text = inner["bytes"]
            return base64.b64decode(text + "=" * (-len(text) % 4))
    return obj


def dag_json_decode(raw: bytes) -> Any:
    """Data from DAG-JSON bytes (links become :class:`CID`, bytes become ``bytes``)."""
    try:
        return json.loads(raw, object_hook=_json_hook)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DagError(f"not DAG-JSON: {exc}") from None


# -- DAG-CBOR --------------------------------------------------------------------------


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise DagError("integer outside 64 bits")


def _cbor(value: Any, out: bytearray, path: str) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise DagError(f"{path}: integer outside 64 bits")
        out += _head(0, value) if value >= 0 else _head(1, -1 - value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise DagError(f"{path}: {value} has no DAG-CBOR form")
        out += b"\xfb" + struct.pack(">d", value)
    elif isinstance(value, str):
        encoded = value.encode()
        out += _head(3, len(encoded)) + encoded
    elif isinstance(value, CID):
        link = b"\0" + bytes(value)
        out += b"\xd8\x2a" + _head(2, len(link)) + link
    elif isinstance(value, bytes | bytearray | memoryview):
        out += _head(2, len(value)) + bytes(value)
    elif isinstance(value, Mapping):
        keys = [(k.encode(), k) for k in value] if all(isinstance(k, str) for k in value) else None
        if keys is None:
            raise DagError(f"{path}: map keys must be strings")
        keys.sort(key=lambda kv: (len(kv[0]), kv[0]))
        out += _head(5, len(keys))
        for encoded, key in keys:
            out += _head(3, len(encoded)) + encoded
            _cbor(value[key], out, f"{path}.{key}")
    elif isinstance(value, Sequence):
        out += _head(4, len(value))
        for i, item in enumerate(value):
            _cbor(item, out, f"{path}[{i}]")
    else:
        raise DagError(f"{path}: {type(value).__name__} is not in the IPLD data model")


def dag_cbor_encode(value: Any) -> bytes:
    """The canonical DAG-CBOR bytes of ``value``."""
    out = bytearray()
    _cbor(value, out, "$")
    return bytes(out)


class _Reader:
    __slots__ = ("data", "i")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.data):
            raise DagError("DAG-CBOR: truncated")
        chunk = self.data[self.i : self.i + n]
        self.i += n
        return chunk

    def head(self) -> tuple[int, int]:
        first = self.take(1)[0]
        major, info = first >> 5, first & 31
        if info < 24:
            return major, info
        if major == 7 and info == 27:
            return major, info
        size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
        if size is None:
            raise DagError(f"DAG-CBOR: indefinite or reserved length ({info})")
        n = int.from_bytes(self.take(size), "big")
        if n < (24 if size == 1 else 1 << (4 * size)):
            raise DagError("DAG-CBOR: a length or integer not in its shortest form")
        return major, n

    def item(self) -> Any:
        major, n = self.head()
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major == 2:
            return self.take(n)
        if major == 3:
            return self.take(n).decode()
        if major == 4:
            return [self.item() for _ in range(n)]
        if major == 5:
            out: dict[str, Any] = {}
            previous: bytes | None = None
            for _ in range(n):
                key = self.item()
                if not isinstance(key, str):
                    raise DagError("DAG-CBOR: map keys must be strings")
                encoded = key.encode()
                if previous is not None and (len(previous), previous) >= (len(encoded), encoded):
                    raise DagError("DAG-CBOR: map keys out of canonical order")
                previous = encoded
                out[key] = self.item()
            return out
        if major == 6:
            if n != 42:
                raise DagError(f"DAG-CBOR: tag {n} (only 42, links)")
            link = self.item()
            if not isinstance(link, bytes) or not link.startswith(b"\0"):
                raise DagError("DAG-CBOR: tag 42 must hold 0x00 + a binary CID")
            return CID.decode(link[1:])
        if n == 20:
            return False
        if n == 21:
            return True
        if n == 22:
            return None
        if n == 27:
            return struct.unpack(">d", self.take(8))[0]
        raise DagError(f"DAG-CBOR: simple value {n} is not in the data model")


def dag_cbor_decode(raw: bytes) -> Any:
    """Data from canonical DAG-CBOR bytes; anything not canonical is refused."""
    reader = _Reader(bytes(raw))
    try:
        value = reader.item()
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DagError):
            raise
        raise DagError(f"DAG-CBOR: {exc}") from None
    if reader.i != len(reader.data):
        raise DagError(f"DAG-CBOR: {len(reader.data) - reader.i} bytes after the value")
    return value
