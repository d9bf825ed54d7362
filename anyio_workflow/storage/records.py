"""Records and archives over any store: DAG-JSON records (:func:`put_record`,
:func:`get_record`), the links of a block, and CAR export and import."""

from __future__ import annotations

from typing import Any

from ..errors import (
    StoreError,
)
from .car import read_car, write_car
from .cid import CID
from .dag import dag_cbor_decode, dag_json_decode, dag_json_encode
from .gateway import GatewayReader
from .store import ContentStore
from .unixfs import PBNode

__all__ = ["export_car", "get_record", "import_car", "links_of", "put_record"]


async def put_record(store: ContentStore, record: Any) -> CID:
    """Store ``record`` as canonical DAG-JSON; its CID.

    Cancellation: as the store's ``put``: the block is stored whole or not at all.
    """
    return await store.put(dag_json_encode(record), codec="dag-json")


async def get_record(store: ContentStore | GatewayReader, cid: CID) -> Any:
    """A DAG-JSON (or DAG-CBOR) record, checked against ``cid``.

    Cancellation: a read; cancelled, nothing changed.
    """
    data = await store.get(cid)
    if cid.codec_name == "dag-cbor":
        return dag_cbor_decode(data)
    if cid.codec_name != "dag-json":
        raise StoreError(f"{cid} is {cid.codec_name}, not a DAG-JSON or DAG-CBOR record")
    return dag_json_decode(data)


def links_of(cid: CID, data: bytes) -> list[CID]:
    """The CIDs a block links to (DAG-JSON, DAG-CBOR and dag-pb; raw has none)."""
    if cid.codec_name == "dag-pb":
        return [link.cid for link in PBNode.decode(data).links]
    if cid.codec_name in ("dag-json", "dag-cbor"):
        value = dag_json_decode(data) if cid.codec_name == "dag-json" else dag_cbor_decode(data)
        found: list[CID] = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, CID):
                found.append(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return found
    return []


async def export_car(store: ContentStore, root: CID, *, follow: bool = True) -> bytes:
    """A CAR v1 of ``root`` and, with ``follow``, every block it links to that the store
    holds (a record's link to a previous record in another store is left out).

    Cancellation: it only reads; cancelled, no archive is returned.
    """
    blocks: list[tuple[CID, bytes]] = []
    seen: set[CID] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        if cid != root and not await store.has(cid):
            continue
        data = await store.get(cid)
        blocks.append((cid, data))
        if follow:
            stack.extend(reversed(links_of(cid, data)))
    return write_car([root], blocks)


async def import_car(store: ContentStore, archive: bytes) -> list[CID]:
    """Store every block of a CAR (each verified on the way in); its roots.

    Cancellation: the blocks stored before the cancellation stay stored (each whole);
    the rest are not.
    """
    roots, blocks = read_car(archive)
    for cid, data in blocks.items():
        await store.put_block(cid, data)
    return roots
