"""CAR v1 (content-addressed archives): what pinning services accept for upload.

``varint(len(header)) || header`` with the header in DAG-CBOR, ``{"roots": [CID, ...],
"version": 1}``, then for each block ``varint(len(cid) + len(data)) || cid || data``.
:func:`read_car` checks every block against its CID and refuses the archive at the first
mismatch.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import CarError
from .cid import CID, InvalidCID, read_varint, varint
from .dag import dag_cbor_decode, dag_cbor_encode

__all__ = ["CarError", "read_car", "write_car"]


def write_car(roots: Iterable[CID], blocks: Iterable[tuple[CID, bytes]]) -> bytes:
    """A CAR v1 archive of ``blocks`` (each once, in the order given) under ``roots``."""
    header = dag_cbor_encode({"roots": list(roots), "version": 1})
    out = bytearray(varint(len(header)) + header)
    seen: set[CID] = set()
    for cid, data in blocks:
        if cid in seen:
            continue
        seen.add(cid)
        raw = bytes(cid)
        out += varint(len(raw) + len(data)) + raw + data
    return bytes(out)


def read_car(archive: bytes) -> tuple[list[CID], dict[CID, bytes]]:
    """``(roots, blocks)`` from a CAR v1 archive; every block is verified."""
    try:
        length, i = read_varint(archive)
        header = dag_cbor_decode(archive[i : i + length])
    except ValueError as exc:
        raise CarError(f"CAR header: {exc}") from None
    if (
        not isinstance(header, dict)
        or header.get("version") != 1
        or not isinstance(header.get("roots"), list)
        or not all(isinstance(r, CID) for r in header["roots"])
    ):
        raise CarError('CAR header: expected {"roots": [CID, ...], "version": 1}')
    i += length
    blocks: dict[CID, bytes] = {}
    view = memoryview(archive)
    while i < len(archive):
        try:
            size, start = read_varint(archive, i)
            cid, data_start = CID.read(view, start)
        except (ValueError, InvalidCID) as exc:
            raise CarError(f"CAR block at byte {i}: {exc}") from None
        end = start + size
        if end > len(archive) or data_start > end:
            raise CarError(f"CAR block at byte {i}: truncated")
        data = archive[data_start:end]
        if not cid.verify(data):
            raise CarError(f"CAR block {cid}: its bytes do not match its CID")
        blocks[cid] = data
        i = end
    return list(header["roots"]), blocks
