"""dag-pb nodes and the UnixFS file importer, byte for byte what ``ipfs add`` makes.

kubo's defaults, which :func:`import_file` reproduces:

- fixed-size chunks of 256 KiB (``--chunker size-262144``);
- a balanced layout with at most 174 links per node: leaves are grouped 174 to a parent,
  parents 174 to a grandparent, and so on up to one root;
- ``ipfs add`` (CIDv0): every leaf is a dag-pb node holding a UnixFS ``File`` with its
  bytes; ``ipfs add --cid-version 1``: leaves are raw blocks (``--raw-leaves``), the
  parents dag-pb, and the CIDs v1;
- a file of one chunk is that one leaf (a CIDv1 of such a file is a ``raw`` CID).

The committed vectors in ``tests/vectors/unixfs.json`` come from ipfs-only-hash and
ipfs-unixfs-importer (``scripts/vectors/generate.mjs``), for sizes from 0 bytes to past
174 chunks; the tests compare every one.

Encodings (from the dag-pb and UnixFS specifications): ``PBNode { repeated PBLink Links
= 2; optional bytes Data = 1; }``, links first; ``PBLink { bytes Hash = 1; string Name
= 2; uint64 Tsize = 3; }``; UnixFS ``Data { Type = 1; bytes Data = 2; uint64 filesize =
3; repeated uint64 blocksizes = 4 (not packed) }``, ``Type File = 2``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..errors import InvalidArgument
from .cid import CID, read_varint, varint

__all__ = ["CHUNK_SIZE", "MAX_LINKS", "Block", "PBLink", "PBNode", "import_file"]

CHUNK_SIZE = 262144
MAX_LINKS = 174
_FILE = 2


@dataclass(frozen=True, slots=True)
class PBLink:
    cid: CID
    name: str = ""
    tsize: int = 0


@dataclass(frozen=True, slots=True)
class PBNode:
    links: tuple[PBLink, ...] = ()
    data: bytes | None = None

    def encode(self) -> bytes:
        out = bytearray()
        for link in self.links:
            body = _field(1, bytes(link.cid)) + _field(2, link.name.encode())
            body += varint(3 << 3) + varint(link.tsize)
            out += _field(2, body)
        if self.data is not None:
            out += _field(1, self.data)
        return bytes(out)

    @classmethod
    def decode(cls, raw: bytes) -> PBNode:
        links: list[PBLink] = []
        data: bytes | None = None
        for number, value in _fields(raw):
            if number == 2 and isinstance(value, bytes):
                cid, name, tsize = None, "", 0
                for n, v in _fields(value):
                    if n == 1 and isinstance(v, bytes):
                        cid = CID.decode(v)
                    elif n == 2 and isinstance(v, bytes):
                        name = v.decode()
                    elif n == 3 and isinstance(v, int):
                        tsize = v
                if cid is None:
                    raise InvalidArgument("dag-pb: a link without a hash")
                links.append(PBLink(cid, name, tsize))
            elif number == 1 and isinstance(value, bytes):
                data = value
            else:
                raise InvalidArgument(f"dag-pb: unexpected field {number}")
        return cls(tuple(links), data)


def _field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _fields(raw: bytes) -> Iterator[tuple[int, bytes | int]]:
    i = 0
    while i < len(raw):
        key, i = read_varint(raw, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(raw, i)
            yield number, value
        elif wire == 2:
            length, i = read_varint(raw, i)
            if i + length > len(raw):
                raise InvalidArgument("protobuf: truncated field")
            yield number, raw[i : i + length]
            i += length
        else:
            raise InvalidArgument(f"protobuf: unsupported wire type {wire}")


def _unixfs_file(data: bytes | None, filesize: int, blocksizes: Iterable[int] = ()) -> bytes:
    out = bytearray(varint(1 << 3) + varint(_FILE))
    if data:
        out += _field(2, data)
    out += varint(3 << 3) + varint(filesize)
    for size in blocksizes:
        out += varint(4 << 3) + varint(size)
    return bytes(out)


def _leaf_frame(length: int) -> tuple[bytes, bytes]:
    """The bytes before and after a chunk in its dag-pb leaf (``PBNode{Data: UnixFS{File,
    Data: chunk, filesize}}``), so that the leaf can be hashed without copying the chunk."""
    if length == 0:
        unixfs = varint(1 << 3) + varint(_FILE) + varint(3 << 3) + varint(0)
        return varint(1 << 3 | 2) + varint(len(unixfs)) + unixfs, b""
    inner_head = varint(1 << 3) + varint(_FILE) + varint(2 << 3 | 2) + varint(length)
    tail = varint(3 << 3) + varint(length)
    unixfs_length = len(inner_head) + length + len(tail)
    return varint(1 << 3 | 2) + varint(unixfs_length) + inner_head, tail


@dataclass(frozen=True, slots=True)
class Block:
    """A block of an import: its CID and bytes (empty when nobody asked for the blocks),
    with what its parent records of it."""

    cid: CID
    data: bytes
    filesize: int
    tsize: int


def _chunks(data: bytes | memoryview, size: int) -> Iterator[memoryview]:
    view = memoryview(data)
    if not view:
        yield view
    for start in range(0, len(view), size):
        yield view[start : start + size]


def import_file(
    data: bytes | memoryview,
    *,
    cid_version: int = 0,
    chunk_size: int = CHUNK_SIZE,
    max_links: int = MAX_LINKS,
    on_block: Callable[[Block], None] | None = None,
) -> CID:
    """The CID ``ipfs add [--cid-version 1]`` gives ``data``; every block goes to
    ``on_block`` (to store them, or to write a CAR), children before parents."""
    if cid_version not in (0, 1):
        raise InvalidArgument(f"cid_version: 0 or 1, not {cid_version}")
    raw_leaves = cid_version == 1
    sha256 = hashlib.sha256
    level: list[Block] = []
    for chunk in _chunks(data, chunk_size):
        # The leaf is hashed in place (no copy of the chunk) unless someone wants its bytes.
        if raw_leaves:
            cid = CID(1, "raw", sha256(chunk).digest())
            size = len(chunk)
            block_bytes = bytes(chunk) if on_block is not None else b""
        else:
            head, tail = _leaf_frame(len(chunk))
            digest = sha256(head)
            digest.update(chunk)
            digest.update(tail)
            cid = CID(0, "dag-pb", digest.digest())
            size = len(head) + len(chunk) + len(tail)
            block_bytes = head + bytes(chunk) + tail if on_block is not None else b""
        block = Block(cid, block_bytes, len(chunk), size)
        if on_block is not None:
            on_block(block)
        level.append(block)
    if len(level) == 1:
        return level[0].cid
    while len(level) > 1:
        parents = []
        for start in range(0, len(level), max_links):
            children = level[start : start + max_links]
            filesize = sum(c.filesize for c in children)
            node = PBNode(
                links=tuple(PBLink(c.cid, "", c.tsize) for c in children),
                data=_unixfs_file(None, filesize, (c.filesize for c in children)),
            ).encode()
            cid = CID(cid_version, "dag-pb", sha256(node).digest())
            parent = Block(cid, node, filesize, len(node) + sum(c.tsize for c in children))
            if on_block is not None:
                on_block(parent)
            parents.append(parent)
        level = parents
    return level[0].cid
