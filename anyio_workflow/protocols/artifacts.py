"""The protocol contracts the library ships, as their npm packages compiled them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from eth_abi.abi import encode

from ..errors import InvalidArgument, NotFound
from ..evm.abi import register_errors

__all__ = ["ProtocolArtifact", "protocol_artifact"]


@dataclass(frozen=True, slots=True)
class ProtocolArtifact:
    """A compiled protocol contract, unchanged from its npm package."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    package: str
    """``name@version`` of the npm package it came from."""
    path: str
    """Where it is in that package."""

    def deploy_data(self, *args: Any) -> str:
        """Creation calldata: the bytecode and the ABI-encoded constructor arguments."""
        constructor = next((e for e in self.abi if e.get("type") == "constructor"), None)
        types = [str(p["type"]) for p in (constructor or {}).get("inputs", [])]
        if len(types) != len(args):
            raise InvalidArgument(f"{self.name}: the constructor takes {len(types)} arguments")
        return self.bytecode + encode(types, list(args)).hex()


@cache
def protocol_artifact(name: str) -> ProtocolArtifact:
    """``"UniswapV3Factory"``, ``"UniswapV3Pool"``, ``"SwapRouter"``, ``"QuoterV2"`` or
    ``"NonfungiblePositionManager"``."""
    folder = files(__package__).joinpath("compiled")
    try:
        raw = json.loads(folder.joinpath(f"{name}.json").read_text())
    except FileNotFoundError:
        known = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
        raise NotFound(f"no protocol artifact {name!r}; known: {', '.join(known)}") from None
    register_errors(raw["abi"])
    return ProtocolArtifact(
        name=raw["contractName"], abi=raw["abi"], bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"], package=raw["package"], path=raw["path"],
    )  # fmt: skip
