"""ABI encoding with eth-abi: function calls, return values and event logs.

A function is named by a human-readable signature (``"transfer(address,uint256)"``,
with ``returns (bool)`` when its outputs matter) or found by name in a JSON ABI. Events
decode from a log's topics and data. ``ERC20_ABI`` and ``ERC721_ABI`` hold the minimal
interfaces the built-in agents use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError, EncodingError
from eth_utils.crypto import keccak

from ..errors import AbiError, register_error
from .address import to_checksum

__all__ = [
    "ERC20_ABI",
    "ERC721_ABI",
    "AbiError",
    "Event",
    "Function",
    "decode_log",
    "entry_types",
    "function",
    "register_errors",
]

_SIGNATURE = re.compile(
    r"^\s*(?:function\s+)?(?P<name>[A-Za-z_]\w*)\s*\((?P<inputs>[^()]*)\)"
    r"(?:\s*(?:external|public|view|pure|payable|nonpayable|\s)*)*"
    r"(?:\s*returns\s*\((?P<outputs>[^()]*)\))?\s*$"
)


def _types(text: str | None) -> tuple[str, ...]:
    if not text or not text.strip():
        return ()
    # "address to, uint256 amount" -> ("address", "uint256")
    return tuple(part.strip().split()[0] for part in text.split(","))


def entry_types(params: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The canonical types of ABI parameters (tuples spelled ``(t1,t2)``)."""
    types = []
    for param in params:
        kind = str(param["type"])
        if kind.startswith("tuple"):
            inner = ",".join(entry_types(param.get("components", [])))
            kind = f"({inner}){kind[5:]}"
        types.append(kind)
    return tuple(types)


@dataclass(frozen=True, slots=True)
class Function:
    """One function: its selector, and how its inputs and outputs encode."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.inputs)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]

    def encode(self, *args: Any) -> bytes:
        """Calldata: the selector and the ABI-encoded arguments."""
        if len(args) != len(self.inputs):
            raise AbiError(
                f"{self.signature}: expected {len(self.inputs)} arguments, got {len(args)}"
            )
        try:
            return self.selector + encode(list(self.inputs), list(args))
        except (EncodingError, TypeError, ValueError, OverflowError) as exc:
            raise AbiError(f"{self.signature}: {exc}") from None

    def calldata(self, *args: Any) -> str:
        """The call's data as 0x-hex, what a transaction's ``data`` and ``eth_call`` take."""
        return "0x" + self.encode(*args).hex()

    def decode_output(self, data: bytes) -> tuple[Any, ...]:
        """The return values of an ``eth_call`` of this function."""
        try:
            values = decode(list(self.outputs), data)
        except (DecodingError, OverflowError) as exc:
            raise AbiError(f"{self.signature}: cannot decode the return data ({exc})") from None
        return tuple(_normalized(kind, v) for kind, v in zip(self.outputs, values, strict=True))


def register_errors(abi: Sequence[Mapping[str, Any]]) -> list[str]:
    """Decode reverts with every custom error of a JSON ``abi`` from now on (an
    ``ExecutionReverted`` then says ``Name(arg, ...)``); returns their selectors."""
    return [
        register_error(f"{entry['name']}({','.join(entry_types(entry.get('inputs', [])))})")
        for entry in abi
        if entry.get("type") == "error" and isinstance(entry.get("name"), str)
    ]


def function(spec: str, abi: Sequence[Mapping[str, Any]] | None = None) -> Function:
    """A :class:`Function` from a signature, or by ``name`` from a JSON ABI."""
    if abi is not None:
        matches = [
            e for e in abi if e.get("type", "function") == "function" and e.get("name") == spec
        ]
        if len(matches) != 1:
            found = "no" if not matches else f"{len(matches)} overloaded"
            raise AbiError(f"{spec}: {found} functions of that name in the ABI")
        entry = matches[0]
        return Function(
            spec, entry_types(entry.get("inputs", [])), entry_types(entry.get("outputs", []))
        )
    match = _SIGNATURE.match(spec)
    if match is None:
        raise AbiError(f"not a function signature: {spec!r} (say 'transfer(address,uint256)')")
    return Function(match["name"], _types(match["inputs"]), _types(match["outputs"]))


@dataclass(frozen=True, slots=True)
class Event:
    """A decoded log."""

    name: str
    address: str
    args: dict[str, Any]


def _normalized(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum(value)
    return value


def decode_log(log: Mapping[str, Any], abi: Sequence[Mapping[str, Any]]) -> Event:
    """Decode a log (as ``eth_getLogs`` or a receipt gives it) with the events of ``abi``."""
    topics = [bytes.fromhex(str(t)[2:]) for t in log.get("topics", [])]
    if not topics:
        raise AbiError("an anonymous log (no topics) cannot be matched to an event")
    for entry in abi:
        if entry.get("type") != "event":
            continue
        inputs = entry.get("inputs", [])
        signature = f"{entry['name']}({','.join(entry_types(inputs))})"
        if keccak(text=signature) != topics[0]:
            continue
        indexed = [p for p in inputs if p.get("indexed")]
        plain = [p for p in inputs if not p.get("indexed")]
        if len(indexed) != len(topics) - 1:
            continue  # ERC-20 and ERC-721 Transfer share a signature: count the topics
        args: dict[str, Any] = {}
        try:
            for param, topic in zip(indexed, topics[1:], strict=True):
                (value,) = decode([str(param["type"])], topic)
                args[param["name"]] = _normalized(str(param["type"]), value)
            data = bytes.fromhex(str(log.get("data", "0x"))[2:])
            values = decode(list(entry_types(plain)), data)
        except (DecodingError, OverflowError, ValueError) as exc:
            raise AbiError(f"{entry['name']}: cannot decode the log ({exc})") from None
        for param, value in zip(plain, values, strict=True):
            args[param["name"]] = _normalized(str(param["type"]), value)
        return Event(str(entry["name"]), to_checksum(str(log["address"])), args)
    raise AbiError(f"no event of the ABI has topic {log['topics'][0]}")


def _fn(
    name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str
) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": "", "type": t} for t in outputs],
        "stateMutability": mutability,
    }


def _event(name: str, params: list[tuple[str, str, bool]]) -> dict[str, Any]:
    return {
        "type": "event",
        "name": name,
        "anonymous": False,
        "inputs": [{"name": n, "type": t, "indexed": i} for n, t, i in params],
    }


ERC20_ABI: list[dict[str, Any]] = [
    _fn("name", [], ["string"], "view"),
    _fn("symbol", [], ["string"], "view"),
    _fn("decimals", [], ["uint8"], "view"),
    _fn("totalSupply", [], ["uint256"], "view"),
    _fn("balanceOf", [("owner", "address")], ["uint256"], "view"),
    _fn("allowance", [("owner", "address"), ("spender", "address")], ["uint256"], "view"),
    _fn("transfer", [("to", "address"), ("amount", "uint256")], ["bool"], "nonpayable"),
    _fn("approve", [("spender", "address"), ("amount", "uint256")], ["bool"], "nonpayable"),
    _fn(
        "transferFrom",
        [("from", "address"), ("to", "address"), ("amount", "uint256")],
        ["bool"],
        "nonpayable",
    ),
    _event(
        "Transfer",
        [("from", "address", True), ("to", "address", True), ("value", "uint256", False)],
    ),
    _event(
        "Approval",
        [("owner", "address", True), ("spender", "address", True), ("value", "uint256", False)],
    ),
]

ERC721_ABI: list[dict[str, Any]] = [
    _fn("name", [], ["string"], "view"),
    _fn("symbol", [], ["string"], "view"),
    _fn("balanceOf", [("owner", "address")], ["uint256"], "view"),
    _fn("ownerOf", [("tokenId", "uint256")], ["address"], "view"),
    _fn("tokenURI", [("tokenId", "uint256")], ["string"], "view"),
    _fn(
        "safeTransferFrom",
        [("from", "address"), ("to", "address"), ("tokenId", "uint256")],
        [],
        "nonpayable",
    ),
    _fn(
        "transferFrom",
        [("from", "address"), ("to", "address"), ("tokenId", "uint256")],
        [],
        "nonpayable",
    ),
    _event(
        "Transfer",
        [("from", "address", True), ("to", "address", True), ("tokenId", "uint256", True)],
    ),
]
