"""CIDs, UnixFS and the `cid` command against vectors from independent implementations."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow.journal.runs import keep, restore
from anyio_workflow.storage import CID, CODECS, InvalidCID, PBNode, import_file
from anyio_workflow.storage.cid import b58decode, b58encode, read_varint, varint

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "unixfs.json").read_text()
)
_PATTERN = bytes(range(251))


def pattern(size: int) -> bytes:
    return (_PATTERN * (size // 251 + 1))[:size]


@pytest.mark.parametrize("vector", VECTORS["files"], ids=lambda v: f"{v['size']}B")
def test_unixfs_import_matches_kubo_byte_for_byte(vector: dict[str, Any]) -> None:
    data = pattern(vector["size"])
    assert str(import_file(data)) == vector["cid_v0"]
    assert str(import_file(data, cid_version=1)) == vector["cid_v1"]


def test_the_vectors_cover_the_boundaries() -> None:
    sizes = {v["size"] for v in VECTORS["files"]}
    chunk = VECTORS["chunk_size"]
    assert {0, chunk - 1, chunk, chunk + 1, 174 * chunk, 174 * chunk + 1} <= sizes
    assert max(sizes) > 4 * 1024 * 1024


def test_well_known_cids() -> None:
    text = VECTORS["text"][0]
    assert text["cid_v0"] == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # kubo's, widely
    assert str(import_file(text["text"].encode())) == text["cid_v0"]
    assert str(import_file(text["text"].encode(), cid_version=1)) == text["cid_v1"]


@pytest.mark.parametrize("version", [0, 1])
def test_blocks_come_children_first_and_each_matches_its_cid(version: int) -> None:
    seen: list[CID] = []

    def check(block: Any) -> None:
        assert block.cid.verify(block.data)
        if block.cid.codec_name == "dag-pb":
            for link in PBNode.decode(block.data).links:
                assert link.cid in seen  # children before parents
        seen.append(block.cid)

    root = import_file(pattern(3 * 262144 + 5), cid_version=version, on_block=check)
    assert seen[-1] == root and len(seen) == 5
    assert root == import_file(pattern(3 * 262144 + 5), cid_version=version)


@given(st.binary(max_size=300))
def test_cid_text_and_binary_forms_round_trip(data: bytes) -> None:
    for codec in CODECS:
        cid = CID.of(data, codec)
        assert CID.parse(str(cid)) == cid
        assert CID.parse(cid.encode("base58btc")) == cid
        assert CID.decode(bytes(cid)) == cid
        assert restore(keep(cid) or b"") == cid  # a journal keeps records holding CIDs
        assert cid.verify(data)
        assert cid.digest == hashlib.sha256(data).digest()
    v0 = CID(0, "dag-pb", hashlib.sha256(data).digest())
    assert str(v0).startswith("Qm") and CID.parse(str(v0)) == v0
    assert v0.to_v1().codec_name == "dag-pb" and v0.to_v1() != v0


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_varints_round_trip(n: int) -> None:
    encoded = varint(n)
    assert read_varint(encoded) == (n, len(encoded))


@given(st.binary(max_size=64))
def test_base58_round_trips(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "Qm123",
        "bafy!!!",
        "zzzz",
        "b" + "a" * 10,
        "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff50",
    ],
)
def test_bad_cids_are_clear_errors(text: str) -> None:
    with pytest.raises(InvalidCID):
        CID.parse(text)


def test_a_cid_is_immutable_and_checks_its_digest() -> None:
    cid = CID.of(b"x")
    with pytest.raises(AttributeError):
        cid.version = 0  # type: ignore[misc]
    with pytest.raises(InvalidCID, match="32 bytes"):
        CID(1, "raw", b"short")
    with pytest.raises(InvalidCID, match="CIDv0"):
        CID(0, "raw", bytes(32))


@pytest.mark.parametrize("version", ["0", "1"])
def test_cid_command_prints_what_ipfs_add_only_hash_prints(tmp_path: Path, version: str) -> None:
    vector = next(v for v in VECTORS["files"] if v["size"] == 262145)
    path = tmp_path / "file.bin"
    path.write_bytes(pattern(262145))
    command = [sys.executable, "-m", "anyio_workflow", "cid", str(path), "--cid-version", version]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    assert out.stdout == vector[f"cid_v{version}"] + "\n"
    piped = subprocess.run(
        [sys.executable, "-m", "anyio_workflow", "cid", "-", "--cid-version", version],
        input=pattern(262145), capture_output=True, check=True,
    )  # fmt: skip
    assert piped.stdout.decode() == vector[f"cid_v{version}"] + "\n"


def test_cid_command_on_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "anyio_workflow", "cid", str(tmp_path / "nope")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 2
    assert "cannot read it" in out.stderr and "Traceback" not in out.stderr


def test_cid_command_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "anyio_workflow", "cid", "-", "--json", "--cid-version", "1"],
        input=b"hello world\n", capture_output=True, check=True,
    )  # fmt: skip
    assert json.loads(out.stdout) == {
        "cid": VECTORS["text"][0]["cid_v1"], "cid_version": 1, "size": 12,
    }  # fmt: skip
