"""StandardMerkleTree against OpenZeppelin's own output, by property, and on chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from anyio_workflow.audit import MultiProof, StandardMerkleTree
from anyio_workflow.audit.merkle import leaf_hash
from anyio_workflow.contracts import artifact
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc

from ..nodes import Node, deploy

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "merkle.json").read_text()
)
ENCODING = ["address", "uint256"]


@pytest.mark.parametrize(
    "vector",
    VECTORS,
    ids=lambda v: f"{','.join(v['encoding'])}-{len(v['values'])}-{v.get('sort_leaves', True)}",
)
def test_trees_proofs_and_dumps_match_openzeppelin(vector: dict[str, Any]) -> None:
    tree = StandardMerkleTree.of(
        vector["values"], vector["encoding"], sort_leaves=vector.get("sort_leaves", True)
    )
    assert tree.root == vector["root"]
    assert tree.dump() == vector["dump"]
    assert [tree.get_proof(i) for i in range(len(tree))] == vector["proofs"]
    assert tree.get_proofs() == vector["proofs"]
    loaded = StandardMerkleTree.load(vector["dump"])
    assert loaded.root == vector["root"]
    for i, value in enumerate(vector["values"]):
        assert StandardMerkleTree.verify(tree.root, vector["encoding"], value, vector["proofs"][i])
        assert tree.get_proof(value) == vector["proofs"][i]
    if "multiproof" in vector:
        expected = vector["multiproof"]
        multi = tree.get_multi_proof(expected["indices"])
        assert multi.leaves == expected["leaves"]
        assert multi.proof == expected["proof"]
        assert multi.proof_flags == expected["proofFlags"]
        assert StandardMerkleTree.verify_multi_proof(tree.root, vector["encoding"], multi)


addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
leaves = st.lists(
    st.tuples(addresses, st.integers(0, 2**256 - 1)).map(list), min_size=1, max_size=40
)


@settings(max_examples=60)
@given(values=leaves, sort=st.booleans())
def test_every_leaf_proof_verifies(values: list[list[Any]], sort: bool) -> None:
    tree = StandardMerkleTree.of(values, ENCODING, sort_leaves=sort)
    for i, value in enumerate(values):
        assert StandardMerkleTree.verify(tree.root, ENCODING, value, tree.get_proof(i))


@settings(max_examples=60)
@given(values=leaves, data=st.data())
def test_any_flipped_bit_breaks_verification(values: list[list[Any]], data: st.DataObject) -> None:
    tree = StandardMerkleTree.of(values, ENCODING)
    i = data.draw(st.integers(0, len(values) - 1))
    value, proof, root = values[i], tree.get_proof(i), tree.root
    bit = data.draw(st.integers(0, 255))

    def flip(hex_text: str) -> str:
        raw = bytearray(bytes.fromhex(hex_text[2:]))
        raw[bit // 8 % len(raw)] ^= 1 << (bit % 8)
        return "0x" + raw.hex()

    assert not StandardMerkleTree.verify(flip(root), ENCODING, value, proof)
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:j], flip(proof[j]), *proof[j + 1 :]]
        assert not StandardMerkleTree.verify(root, ENCODING, value, bad)
    assert not StandardMerkleTree.verify(root, ENCODING, [flip(value[0]), value[1]], proof)
    assert not StandardMerkleTree.verify(root, ENCODING, [value[0], value[1] ^ (1 << bit)], proof)


@settings(max_examples=40)
@given(values=leaves, data=st.data())
def test_multiproofs_verify_for_any_subset(values: list[list[Any]], data: st.DataObject) -> None:
    tree = StandardMerkleTree.of(values, ENCODING)
    picks = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True, max_size=len(values)))
    multi = tree.get_multi_proof(picks)
    assert StandardMerkleTree.verify_multi_proof(tree.root, ENCODING, multi)
    if multi.proof:
        broken = MultiProof(multi.leaves, ["0x" + "00" * 32, *multi.proof[1:]], multi.proof_flags)
        assert not StandardMerkleTree.verify_multi_proof(tree.root, ENCODING, broken)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        StandardMerkleTree.of([], ENCODING)
    with pytest.raises(ValueError, match="2 fields"):
        StandardMerkleTree.of([["0x" + "11" * 20]], ENCODING)
    with pytest.raises(ValueError, match="20 bytes"):
        leaf_hash(["address"], ["0x1234"])
    tree = StandardMerkleTree.of([["0x" + "11" * 20, 1]], ENCODING)
    with pytest.raises(ValueError, match="not in the tree"):
        tree.get_proof(["0x" + "22" * 20, 1])
    with pytest.raises(ValueError, match="twice"):
        StandardMerkleTree.of(
            [["0x" + "11" * 20, 1], ["0x" + "22" * 20, 2]], ENCODING
        ).get_multi_proof([0, 0])
    dump = tree.dump()
    dump["tree"][0] = "0x" + "00" * 32
    with pytest.raises(ValueError, match=r"does not match|not the hash"):
        StandardMerkleTree.load(dump)


async def test_our_proofs_verify_on_chain(node: Node) -> None:
    values = [["0x" + f"{i:040x}", i * 10**18 + 7] for i in range(1, 12)]
    tree = StandardMerkleTree.of(values, ENCODING)
    abi = artifact("MerkleVerifier").abi
    verify = function("verify", abi)
    multi_verify = function("multiProofVerify", abi)
    async with node.client() as client:
        eth = EthRpc(client)
        verifier = await deploy(node, eth, "MerkleVerifier")

        async def call(fn: Any, *args: Any) -> bool:
            out = await eth.call({"to": verifier, "data": fn.calldata(*args)})
            return bool(fn.decode_output(out)[0])

        root = bytes.fromhex(tree.root[2:])
        for i, value in enumerate(values):
            proof = [bytes.fromhex(p[2:]) for p in tree.get_proof(i)]
            leaf = leaf_hash(ENCODING, value)
            assert await call(verify, proof, root, leaf)
            assert not await call(verify, proof, root, leaf[::-1])
        multi = tree.get_multi_proof([0, 3, 7])
        assert await call(
            multi_verify,
            [bytes.fromhex(p[2:]) for p in multi.proof],
            multi.proof_flags,
            root,
            [leaf_hash(ENCODING, v) for v in multi.leaves],
        )
        onchain_leaf = await eth.call(
            {
                "to": verifier,
                "data": "0x" + function("leafOf", abi).encode(encode(ENCODING, values[0])).hex(),
            }
        )
        assert onchain_leaf == leaf_hash(ENCODING, values[0])
