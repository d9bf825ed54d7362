"""Merkle inclusion proofs that OpenZeppelin's ``MerkleProof`` checks on chain.

:class:`StandardMerkleTree` mirrors ``@openzeppelin/merkle-tree``'s ``StandardMerkleTree``
(its JavaScript API, in Python's spelling), and reads and writes its JSON dump:

- a leaf is ``keccak256(keccak256(abi.encode(leaf_types, value)))``: hashed twice, so
  that no leaf can pass for an inner node (a second-preimage guard);
- an inner node is ``keccak256(sorted(a, b))``: pairs are sorted, so a proof is a plain
  list of siblings with no left/right flags, as ``MerkleProof.verify`` expects;
- the tree is an array with the root at 0 and the children of ``i`` at ``2i + 1`` and
  ``2i + 2``; leaves fill the end of the array in reverse, sorted by hash by default.

``tests/vectors/merkle.json`` holds trees, proofs and multiproofs made by the JavaScript
library itself (``scripts/vectors/generate.mjs``); the tests compare ours to them, and a
Solidity verifier of this project (``contracts/MerkleVerifier.sol``) checks our proofs
on anvil.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from eth_abi.abi import encode as abi_encode

from .._hash import keccak256, keccak_256
from ..errors import MerkleError
from ..evm.encoding import hex_bytes

__all__ = ["MultiProof", "StandardMerkleTree", "leaf_hash", "node_hash", "process_proof"]

_UINT = re.compile(r"^uint(\d*)$")
_INT = re.compile(r"^int(\d*)$")
_BYTES_N = re.compile(r"^bytes(\d+)$")


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big tree is built: it holds no cycles,
    and full collections over 100,000 fresh lists cost as much as the hashing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _bytes(value: Any, field: str) -> bytes:
    raw = hex_bytes(value)
    if raw is not None:
        return raw
    raise MerkleError(f"{field}: expected bytes or 0x-hex, got {value!r}")


def _normalize(kind: str, value: Any, field: str) -> Any:
    """The value eth-abi wants for ``kind`` (JSON dumps hold big integers as strings)."""
    if _UINT.match(kind) or _INT.match(kind):
        if isinstance(value, bool):
            raise MerkleError(f"{field}: expected an integer for {kind}, got a bool")
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError:
                raise MerkleError(f"{field}: not an integer: {value!r}") from None
        if not isinstance(value, int):
            raise MerkleError(f"{field}: expected an integer for {kind}, got {value!r}")
        return value
    if kind == "address":
        raw = _bytes(value, field)
        if len(raw) != 20:
            raise MerkleError(f"{field}: an address is 20 bytes, got {len(raw)}")
        return _hex(raw)
    if kind == "bytes" or _BYTES_N.match(kind):
        return _bytes(value, field)
    if kind == "bool":
        if not isinstance(value, bool):
            raise MerkleError(f"{field}: expected a bool, got {value!r}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise MerkleError(f"{field}: expected a string, got {value!r}")
        return value
    return value  # arrays and tuples: eth-abi checks them


def _word(kind: str, value: Any) -> bytes | None:
    """The 32-byte ABI word of a static value, or ``None`` to leave it to eth-abi."""
    if kind == "address":
        return b"\0" * 12 + bytes.fromhex(value[2:])
    if kind == "bytes32":
        return value if len(value) == 32 else None
    if kind == "bool":
        return (1 if value else 0).to_bytes(32, "big")
    match = _UINT.match(kind)
    if match:
        bits = int(match.group(1) or 256)
        return value.to_bytes(32, "big") if 0 <= value < 1 << bits else None
    return None


def _encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    words = []
    for kind, value in zip(types, values, strict=True):
        word = _word(kind, value)
        if word is None:  # dynamic, signed or out of range: eth-abi encodes (or refuses)
            return abi_encode(list(types), list(values))
        words.append(word)
    return b"".join(words)


def _address_word(value: Any) -> bytes | None:
    if isinstance(value, str) and len(value) == 42 and value[:2] == "0x":
        try:
            return b"\0" * 12 + bytes.fromhex(value[2:])
        except ValueError:
            return None
    return None


def _uint256_word(value: Any) -> bytes | None:
    if type(value) is int and 0 <= value < 1 << 256:
        return value.to_bytes(32, "big")
    return None


_FAST = {"address": _address_word, "uint256": _uint256_word}


def leaf_hash(types: Sequence[str], value: Sequence[Any]) -> bytes:
    """``keccak256(keccak256(abi.encode(types, value)))``."""
    if len(value) != len(types):
        raise MerkleError(f"value: {len(types)} fields ({', '.join(types)}), got {len(value)}")
    fast = [_FAST[t](v) if t in _FAST else None for t, v in zip(types, value, strict=True)]
    if None not in fast:  # the common shapes, without a regex or eth-abi per field
        return keccak256(keccak256(b"".join(fast)))  # type: ignore[arg-type]
    normal = [
        _normalize(t, v, f"value[{i}]") for i, (t, v) in enumerate(zip(types, value, strict=True))
    ]
    return keccak256(keccak256(_encode(types, normal)))


def _hash_leaves(items: list[list[Any]], types: Sequence[str]) -> list[tuple[bytes, int]]:
    """``(leaf hash, value index)`` of every value: the common shapes in one tight loop."""
    encoders = [_FAST.get(t) for t in types]
    k = keccak_256
    out = []
    for i, value in enumerate(items):
        words = (
            [f(x) for f, x in zip(encoders, value, strict=True)]  # type: ignore[misc]
            if None not in encoders and len(value) == len(types)
            else [None]
        )
        if None in words:
            out.append((leaf_hash(types, value), i))
        else:
            out.append((k(k(b"".join(words)).digest()).digest(), i))  # type: ignore[arg-type]
    return out


def node_hash(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b if a <= b else b + a)


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """The root a proof leads to from ``leaf`` (what ``MerkleProof.processProof`` does)."""
    node = leaf
    for sibling in proof:
        node = keccak256(node + sibling if node <= sibling else sibling + node)
    return node


class MultiProof(NamedTuple):
    """OpenZeppelin's multiproof: the leaves' values, the proof, and its flags."""

    leaves: list[Any]
    proof: list[str]
    proof_flags: list[bool]


def _process_multi(leaves: list[bytes], proof: list[bytes], flags: list[bool]) -> bytes:
    if len(leaves) + len(proof) != len(flags) + 1 or len(proof) < flags.count(False):
        raise MerkleError("multiproof: the leaves, proof and flags do not fit together")
    stack = list(leaves)
    siblings = list(proof)
    for flag in flags:
        a = stack.pop(0)
        b = stack.pop(0) if flag else siblings.pop(0)
        stack.append(node_hash(a, b))
    if len(stack) + len(siblings) != 1:
        raise MerkleError("multiproof: not all of the proof was used")
    return stack[0] if stack else siblings[0]


def _as_node(value: str | bytes, field: str) -> bytes:
    node = _bytes(value, field)
    if len(node) != 32:
        raise MerkleError(f"{field}: a node is 32 bytes, got {len(node)}")
    return node


class StandardMerkleTree:
    """A Merkle tree of ABI-encoded values; see the module docstring.

    >>> tree = StandardMerkleTree.of([["0x" + "11" * 20, 5]], ["address", "uint256"])
    >>> StandardMerkleTree.verify(tree.root, ["address", "uint256"], ["0x" + "11" * 20, 5], [])
    True
    """

    def __init__(
        self, tree: list[bytes], values: list[tuple[Any, int]], leaf_encoding: Sequence[str]
    ) -> None:
        self._tree = tree
        self._values = values  # (value, tree index)
        self.leaf_encoding = list(leaf_encoding)
        self._lookup = {tree[index]: i for i, (_, index) in enumerate(values)}
        self._hex: list[str] | None = None  # the nodes in hex, made once for all proofs

    @classmethod
    def of(
        cls, values: Iterable[Sequence[Any]], leaf_encoding: Sequence[str], sort_leaves: bool = True
    ) -> StandardMerkleTree:
        """A tree of ``values`` (each a list with one item per type in ``leaf_encoding``)."""
        with _no_gc():
            return cls._of(values, leaf_encoding, sort_leaves)

    @classmethod
    def _of(
        cls, values: Iterable[Sequence[Any]], leaf_encoding: Sequence[str], sort_leaves: bool
    ) -> StandardMerkleTree:
        items = [list(v) for v in values]
        if not items:
            raise MerkleError("values: a tree needs at least one leaf")
        hashed = _hash_leaves(items, leaf_encoding)
        if sort_leaves:
            hashed.sort()
        n = len(hashed)
        tree: list[bytes] = [b""] * (2 * n - 1)
        indexes = [0] * n
        for position, (digest, value_index) in enumerate(hashed):
            tree[len(tree) - 1 - position] = digest
            indexes[value_index] = len(tree) - 1 - position
        k = keccak_256
        for i in range(len(tree) - 1 - n, -1, -1):
            a, b = tree[2 * i + 1], tree[2 * i + 2]
            tree[i] = k(a + b if a <= b else b + a).digest()
        return cls(tree, [(v, indexes[i]) for i, v in enumerate(items)], leaf_encoding)

    @property
    def root(self) -> str:
        return _hex(self._tree[0])

    def __len__(self) -> int:
        return len(self._values)

    def at(self, index: int) -> Any:
        return self._values[index][0]

    def entries(self) -> Iterable[tuple[int, Any]]:
        for i, (value, _) in enumerate(self._values):
            yield i, value

    def leaf_hash(self, value: Sequence[Any]) -> str:
        return _hex(leaf_hash(self.leaf_encoding, value))

    def _value_index(self, leaf: int | Sequence[Any]) -> int:
        if isinstance(leaf, int):
            if not 0 <= leaf < len(self._values):
                raise MerkleError(f"index: {leaf} is not a leaf (the tree has {len(self)})")
            return leaf
        found = self._lookup.get(leaf_hash(self.leaf_encoding, leaf))
        if found is None:
            raise MerkleError("leaf: not in the tree")
        return found

    def _proof(self, tree_index: int) -> list[bytes]:
        proof = []
        while tree_index > 0:
            sibling = tree_index - 1 if tree_index % 2 == 0 else tree_index + 1
            proof.append(self._tree[sibling])
            tree_index = (tree_index - 1) // 2
        return proof

    def get_proof(self, leaf: int | Sequence[Any]) -> list[str]:
        """The sibling hashes from the leaf (an index or a value) up to the root."""
        index = self._values[self._value_index(leaf)][1]
        if self._hex is None:
            self._hex = ["0x" + node.hex() for node in self._tree]
        nodes = self._hex
        proof = []
        while index > 0:
            proof.append(nodes[index - 1 if index % 2 == 0 else index + 1])
            index = (index - 1) // 2
        return proof

    def get_proofs(self) -> list[list[str]]:
        """Every leaf's proof, in the order of the values: ``get_proof(i)`` for each ``i``,
        built top-down so that each proof is its parent's with one sibling in front."""
        with _no_gc():
            if self._hex is None:
                self._hex = ["0x" + node.hex() for node in self._tree]
            nodes = self._hex
            paths: list[list[str]] = [[]] * len(nodes)
            for i in range(1, len(nodes)):
                paths[i] = [nodes[i - 1 if i % 2 == 0 else i + 1], *paths[(i - 1) // 2]]
            return [paths[index] for _, index in self._values]

    def get_multi_proof(self, leaves: Sequence[int | Sequence[Any]]) -> MultiProof:
        """One proof for several leaves (OpenZeppelin's ``multiProofVerify`` format)."""
        indices = sorted((self._values[self._value_index(x)][1] for x in leaves), reverse=True)
        if len(set(indices)) != len(indices):
            raise MerkleError("leaves: cannot prove the same leaf twice")
        stack = list(indices)
        proof: list[bytes] = []
        flags: list[bool] = []
        while stack and stack[0] > 0:
            j = stack.pop(0)
            sibling = j - 1 if j % 2 == 0 else j + 1
            if stack and stack[0] == sibling:
                flags.append(True)
                stack.pop(0)
            else:
                flags.append(False)
                proof.append(self._tree[sibling])
            stack.append((j - 1) // 2)
        if not indices:
            proof.append(self._tree[0])
        by_tree_index = {index: value for value, index in self._values}
        return MultiProof([by_tree_index[i] for i in indices], [_hex(p) for p in proof], flags)

    @staticmethod
    def verify(
        root: str | bytes, leaf_encoding: Sequence[str], leaf: Sequence[Any], proof: Sequence[str]
    ) -> bool:
        """Whether ``proof`` shows ``leaf`` is in the tree with ``root``."""
        try:
            nodes = [_as_node(p, f"proof[{i}]") for i, p in enumerate(proof)]
            return process_proof(leaf_hash(leaf_encoding, leaf), nodes) == _as_node(root, "root")
        except ValueError:
            return False

    @staticmethod
    def verify_multi_proof(
        root: str | bytes, leaf_encoding: Sequence[str], multiproof: MultiProof
    ) -> bool:
        try:
            leaves = [leaf_hash(leaf_encoding, v) for v in multiproof.leaves]
            proof = [_as_node(p, f"proof[{i}]") for i, p in enumerate(multiproof.proof)]
            computed = _process_multi(leaves, proof, list(multiproof.proof_flags))
            return computed == _as_node(root, "root")
        except ValueError:
            return False

    def validate(self) -> None:
        """Raise ``ValueError`` unless every node and leaf hash is consistent."""
        for value, index in self._values:
            if self._tree[index] != leaf_hash(self.leaf_encoding, value):
                raise MerkleError(f"tree: the leaf at {index} does not match its value")
        n = len(self._tree)
        for i in range(n):
            left, right = 2 * i + 1, 2 * i + 2
            if right < n and self._tree[i] != node_hash(self._tree[left], self._tree[right]):
                raise MerkleError(f"tree: node {i} is not the hash of its children")
            if left < n <= right:
                raise MerkleError("tree: a node with one child")

    def dump(self) -> dict[str, Any]:
        """OpenZeppelin's ``standard-v1`` JSON (big integers as decimal strings)."""
        return {
            "format": "standard-v1",
            "leafEncoding": list(self.leaf_encoding),
            "tree": [_hex(node) for node in self._tree],
            "values": [
                {"value": [_jsonable(v) for v in value], "treeIndex": index}
                for value, index in self._values
            ],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> StandardMerkleTree:
        """A tree from its ``dump()`` (ours or OpenZeppelin's); it is validated."""
        if data.get("format") != "standard-v1":
            raise MerkleError(f"format: expected 'standard-v1', got {data.get('format')!r}")
        tree = [_as_node(node, f"tree[{i}]") for i, node in enumerate(data["tree"])]
        values = [(list(v["value"]), int(v["treeIndex"])) for v in data["values"]]
        loaded = cls(tree, values, data["leafEncoding"])
        loaded.validate()
        return loaded

    def __repr__(self) -> str:
        return f"<StandardMerkleTree root={self.root} leaves={len(self)}>"


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return _hex(bytes(value))
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
