"""Block stores: memory, local files, a Kubo node (a stand-in written from its RPC
reference) and a trustless gateway. Every read is checked against its CID."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow.storage import (
    CID,
    BlockNotFound,
    ContentStore,
    CorruptBlock,
    GatewayReader,
    KuboStore,
    LocalStore,
    MemoryStore,
    StoreError,
    export_car,
    get_record,
    import_car,
    import_file,
    put_record,
    read_car,
)
from anyio_workflow.testing.kubo import FakeKubo

# IPLD integers are 64-bit: records hold bigger ones (wei amounts) as decimal strings.
records = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(params=["memory", "local", "kubo"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ContentStore]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "local":
        yield LocalStore(tmp_path / "blocks")
    else:
        transport = httpx.ASGITransport(app=FakeKubo())
        async with KuboStore("http://kubo.test", transport=transport) as kubo:
            yield kubo


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
async def test_get_of_put_is_the_bytes(store: ContentStore, data: bytes) -> None:
    cid = await store.put(data)
    assert cid == CID.of(data)
    assert await store.get(cid) == data
    assert await store.has(cid)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=records)
async def test_records_round_trip_with_a_stable_cid(store: ContentStore, record: Any) -> None:
    cid = await put_record(store, {"record": record})
    assert cid.codec_name == "dag-json"
    assert await get_record(store, cid) == {"record": record}
    assert await put_record(store, {"record": record}) == cid


async def test_missing_blocks_and_pins(store: ContentStore) -> None:
    missing = CID.of(b"never stored")
    assert not await store.has(missing)
    with pytest.raises(BlockNotFound):
        await store.get(missing)
    with pytest.raises(StoreError):
        await store.pin(missing)
    cid = await store.put(b"keep me")
    await store.pin(cid)


async def test_a_block_changed_on_disk_is_rejected_on_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    cid = await store.put(b"pay 100 USDC to vendor 7")
    path = next((tmp_path / "blocks").rglob(str(cid)))
    path.write_bytes(b"pay 900 USDC to vendor 7")
    with pytest.raises(CorruptBlock, match="do not match"):
        await store.get(cid)


async def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for i in range(20):
        await store.put(os.urandom(100 + i))
    names = [p.name for p in (tmp_path / "blocks").rglob("*") if p.is_file()]
    assert len(names) == 20 and not [n for n in names if n.startswith(".tmp")]
    await store.pin(CID.parse(names[0]))
    assert await store.pinned() == {CID.parse(names[0])}


async def test_put_block_checks_the_cid_it_is_given(store: ContentStore) -> None:
    with pytest.raises(CorruptBlock):
        await store.put_block(CID.of(b"one thing"), b"another")


async def test_car_export_and_import_carry_a_whole_dag(tmp_path: Path) -> None:
    source = MemoryStore()
    blocks: list[Any] = []
    data = bytes(range(251)) * 3060  # 768,060 bytes: three different leaves and a root
    root = import_file(data, cid_version=1, on_block=blocks.append)
    for block in blocks:
        await source.put_block(block.cid, block.data)
    record = await put_record(source, {"file": root, "note": "payout list"})
    archive = await export_car(source, record)
    roots, inside = read_car(archive)
    assert roots == [record] and len(inside) == 5
    target = LocalStore(tmp_path)
    assert await import_car(target, archive) == [record]
    for block in blocks:
        assert await target.get(block.cid) == block.data


async def test_kubo_store_speaks_the_rpc_api_and_hides_its_auth() -> None:
    kubo = FakeKubo(required_headers={"Authorization": "Bearer s3cret-token"})
    transport = httpx.ASGITransport(app=kubo)
    headers = {"Authorization": "Bearer s3cret-token"}
    async with KuboStore("http://kubo.test", headers=headers, transport=transport) as store:
        assert "s3cret" not in repr(store)
        data = bytes(range(256)) * 2000
        assert await store.add(data) == import_file(data, cid_version=1)
        assert await store.add(data, cid_version=0) == import_file(data)
        record = await store.put_dag_json({"run": "r1", "ok": True})
        assert await get_record(store, record) == {"run": "r1", "ok": True}
        await store.pin(record)
    assert record in kubo.store.pins
    assert {"add", "dag/put", "block/get", "pin/add"} <= set(kubo.calls)
    async with KuboStore("http://kubo.test", transport=transport) as anonymous:
        with pytest.raises(StoreError, match="401") as info:
            await anonymous.put(b"x")
    assert "s3cret" not in str(info.value)


async def test_credentials_in_a_kubo_url_are_never_shown() -> None:
    async with KuboStore("http://user:pa55word@kubo.test") as store:
        assert "pa55word" not in repr(store) and "pa55word" not in store.endpoint


async def test_reads_through_a_lying_node_or_gateway_are_rejected() -> None:
    kubo = FakeKubo()
    cid = await kubo.store.put(b"the real bytes of a record")
    kubo.corrupt.add(cid)
    transport = httpx.ASGITransport(app=kubo)
    async with KuboStore("http://kubo.test", transport=transport) as store:
        with pytest.raises(CorruptBlock):
            await store.get(cid)
    async with GatewayReader("http://gateway.test", transport=transport) as gateway:
        with pytest.raises(CorruptBlock):
            await gateway.get(cid)


async def test_gateway_reads_raw_blocks_and_cars() -> None:
    kubo = FakeKubo()
    leaf = await kubo.store.put(b"leaf")
    record = await put_record(kubo.store, {"leaf": leaf})
    async with GatewayReader("http://gateway.test", transport=httpx.ASGITransport(app=kubo)) as gw:
        assert await get_record(gw, record) == {"leaf": leaf}
        assert set(await gw.get_car(record)) == {record, leaf}
        assert not await gw.has(CID.of(b"absent"))
