"""The project's own contracts, compiled: ABI and bytecode, loaded from package data.

Sources are in ``contracts/*.sol``; ``nox -s contracts`` (``node scripts/compile_contracts.mjs``,
the npm ``solc`` pinned in ``package-lock.json``) writes these artifacts, and a test checks
that they still match their sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from eth_abi.abi import encode

from ..errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from ..evm.tx import TxSender

__all__ = ["Artifact", "artifact", "creation_data", "deploy", "send_creation"]


@dataclass(frozen=True, slots=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    source_sha256: str
    compiler: str

    def deploy_data(self, *args: Any) -> str:
        """Creation calldata: the bytecode and the ABI-encoded constructor arguments."""
        return creation_data(self.name, self.abi, self.bytecode, args)


def creation_data(name: str, abi: list[dict[str, Any]], bytecode: str, args: Any) -> str:
    """A contract's creation calldata: ``bytecode`` and the constructor's ABI-encoded
    ``args`` (checked against the constructor of ``abi``)."""
    constructor = next((e for e in abi if e.get("type") == "constructor"), None)
    types = [str(p["type"]) for p in (constructor or {}).get("inputs", [])]
    if len(types) != len(args):
        raise InvalidArgument(f"{name}: the constructor takes {len(types)} arguments")
    return bytecode + encode(types, list(args)).hex()


async def send_creation(sender: TxSender, name: str, data: str) -> str:
    """Deploy creation calldata ``data`` through ``sender`` (the whole transaction
    pipeline); the contract's checksummed address.

    Cancellation: before the broadcast nothing is deployed; after it, the deployment
    stays sent and only the wait for its receipt is abandoned.
    """
    from ..evm.address import to_checksum
    from ..evm.tx import TxRequest

    receipt = await sender.send(TxRequest(data=data))
    if receipt.contract_address is None:
        raise NotFound(f"{name}: the deployment's receipt has no contract address")
    return to_checksum(receipt.contract_address)


@cache
def artifact(name: str) -> Artifact:
    """The compiled contract ``name`` (``"TestToken"``, ``"BatchPayer"``, ``"TestNFT"``, ...)."""
    try:
        raw = json.loads(files(__name__).joinpath(f"{name}.json").read_text())
    except FileNotFoundError:
        known = sorted(p.name[:-5] for p in files(__name__).iterdir() if p.name.endswith(".json"))
        raise NotFound(f"no compiled contract {name!r}; known: {', '.join(known)}") from None
    from ..evm.abi import register_errors

    register_errors(raw["abi"])  # its reverts decode by name
    return Artifact(
        name=raw["contractName"],
        abi=raw["abi"],
        bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"],
        source_sha256=raw["sourceSha256"],
        compiler=raw["compiler"],
    )


async def deploy(sender: TxSender, name: str, *args: Any) -> str:
    """Deploy the project's contract ``name`` through ``sender`` (the whole transaction
    pipeline: estimate, nonce, fees, confirmation); its checksummed address.

    Cancellation: before the broadcast nothing is deployed; after it, the deployment
    stays sent and only the wait for its receipt is abandoned.
    """
    return await send_creation(sender, name, artifact(name).deploy_data(*args))
