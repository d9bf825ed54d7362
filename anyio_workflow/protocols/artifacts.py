"""The protocol contracts the library ships, as their npm packages compiled them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from ..contracts import creation_data, send_creation
from ..errors import InvalidArgument, NotFound
from ..evm.abi import register_errors

if TYPE_CHECKING:
    from ..evm.tx import TxSender

__all__ = ["ProtocolArtifact", "from_json", "protocol_artifact"]


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
    link_references: dict[str, dict[str, list[dict[str, int]]]] = field(default_factory=dict)
    """The libraries its bytecode calls, by source file and name, with where their
    addresses go (byte offsets), as the compiler left them."""

    @property
    def libraries(self) -> list[str]:
        return sorted({name for names in self.link_references.values() for name in names})

    def linked(self, libraries: dict[str, str]) -> ProtocolArtifact:
        """This artifact with each library's address written where the compiler left its
        placeholder (``libraries``: name to deployed address)."""
        missing = set(self.libraries) - set(libraries)
        if missing:
            raise InvalidArgument(f"{self.name}: link {sorted(missing)} first")
        code = self.bytecode[2:]  # hex, with "__$...$__" placeholders: not bytes yet
        for names in self.link_references.values():
            for name, places in names.items():
                address = libraries[name][2:].lower()
                for place in places:
                    start, length = 2 * place["start"], 2 * place["length"]
                    code = code[:start] + address + code[start + length :]
        bytes.fromhex(code)  # every placeholder filled
        return replace(self, bytecode="0x" + code, link_references={})

    def deploy_data(self, *args: Any) -> str:
        """Creation calldata: the bytecode and the ABI-encoded constructor arguments."""
        if self.link_references:
            raise InvalidArgument(f"{self.name}: link {self.libraries} first (.linked())")
        return creation_data(self.name, self.abi, self.bytecode, args)

    async def deploy(self, sender: TxSender, *args: Any) -> str:
        """Deploy it through ``sender``; its address.

        Cancellation: as :func:`~anyio_workflow.contracts.send_creation`."""
        return await send_creation(sender, self.name, self.deploy_data(*args))


@cache
def protocol_artifact(name: str) -> ProtocolArtifact:
    """A kept artifact by contract name: Uniswap V3's (``"UniswapV3Factory"``,
    ``"SwapRouter"``, ``"QuoterV2"``...) and Aave V3's (``"Pool"``, ``"PoolConfigurator"``,
    ``"PoolAddressesProvider"``, the logic libraries...)."""
    folder = files(__package__).joinpath("compiled")
    try:
        raw = json.loads(folder.joinpath(f"{name}.json").read_text())
    except FileNotFoundError:
        known = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
        raise NotFound(f"no protocol artifact {name!r}; known: {', '.join(known)}") from None
    return from_json(raw)


def from_json(raw: dict[str, Any]) -> ProtocolArtifact:
    """An artifact from its kept JSON (``contractName``, ``abi``, the bytecodes, and
    where it came from); its custom errors decode by name from now on."""
    register_errors(raw["abi"])
    return ProtocolArtifact(
        name=raw["contractName"], abi=raw["abi"], bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"], package=raw["package"], path=raw["path"],
        link_references=raw.get("linkReferences") or {},
    )  # fmt: skip
