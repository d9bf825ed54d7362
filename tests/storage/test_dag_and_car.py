"""Canonical DAG-JSON and DAG-CBOR, and CAR v1 archives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow.storage import (
    CID,
    CarError,
    DagError,
    dag_cbor_decode,
    dag_cbor_encode,
    dag_json_decode,
    dag_json_encode,
    read_car,
    write_car,
)

cids = st.binary(max_size=40).map(lambda b: CID.of(b, "dag-json"))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.binary(max_size=20)
    | cids
)
ipld = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8).filter(lambda k: k != "/"), inner, max_size=4)
    ),
    max_leaves=16,
)


@given(ipld)
def test_dag_json_round_trips_and_is_canonical(value: Any) -> None:
    encoded = dag_json_encode(value)
    decoded = dag_json_decode(encoded)
    assert dag_json_encode(decoded) == encoded
    assert _same(decoded, value)


@given(ipld)
def test_dag_cbor_round_trips_and_is_canonical(value: Any) -> None:
    encoded = dag_cbor_encode(value)
    decoded = dag_cbor_decode(encoded)
    assert dag_cbor_encode(decoded) == encoded
    assert _same(decoded, value)


@given(st.dictionaries(st.text(max_size=6), st.integers(-(2**63), 2**63), max_size=8))
def test_the_same_record_gets_the_same_cid_whatever_the_key_order(record: dict[str, int]) -> None:
    shuffled = dict(reversed(list(record.items())))
    assert dag_json_encode(record) == dag_json_encode(shuffled)
    assert dag_cbor_encode(record) == dag_cbor_encode(shuffled)


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, float) and isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(b, bytes | bytearray):
        return bytes(a) == bytes(b)
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    return type(a) is type(b) and a == b


def test_dag_json_forms_of_links_and_bytes() -> None:
    cid = CID.of(b"x")
    assert json.loads(dag_json_encode({"b": b"\x01\x02", "a": cid})) == {
        "a": {"/": str(cid)}, "b": {"/": {"bytes": "AQI"}},
    }  # fmt: skip
    assert dag_json_encode({"b": 1, "a": 2, "aa": 3}) == b'{"a":2,"aa":3,"b":1}'


def test_dag_cbor_key_order_is_length_first_and_links_are_tag_42() -> None:
    encoded = dag_cbor_encode({"bb": 1, "a": 2, "c": 3})
    assert encoded == bytes.fromhex("a3") + b"\x61a\x02" + b"\x61c\x03" + b"\x62bb\x01"
    link = dag_cbor_encode(CID.of(b"x"))
    assert link[:2] == b"\xd8\x2a" and link[4] == 0  # tag 42, bytes, 0x00 prefix


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), {1: 2}, {"/": "x"}, object(), 2**64, -(2**64) - 1]
)
def test_what_has_no_canonical_form_is_refused(value: Any) -> None:
    with pytest.raises(DagError):
        dag_json_encode(value)
    if not (isinstance(value, dict) and "/" in value):
        with pytest.raises(DagError):
            dag_cbor_encode(value)


@pytest.mark.parametrize(
    "raw", [b"\x18\x05", b"\x9f\xff", b"\xa2\x61b\x01\x61a\x02", b"\xc1\x00", b"\x01\x02", b"\x62a"]
)
def test_non_canonical_cbor_is_refused(raw: bytes) -> None:
    with pytest.raises(DagError):
        dag_cbor_decode(raw)


@given(st.lists(st.binary(max_size=100), min_size=1, max_size=8))
def test_car_round_trips(blobs: list[bytes]) -> None:
    blocks = [(CID.of(b), b) for b in blobs]
    archive = write_car([blocks[0][0]], blocks)
    roots, read = read_car(archive)
    assert roots == [blocks[0][0]]
    assert read == dict(blocks)


def test_car_import_refuses_a_tampered_block() -> None:
    data = b"the payout list" * 10
    archive = bytearray(write_car([CID.of(data)], [(CID.of(data), data)]))
    archive[-3] ^= 0x40
    with pytest.raises(CarError, match="do not match"):
        read_car(bytes(archive))
    with pytest.raises(CarError, match="header"):
        read_car(b"\x05garbage")
