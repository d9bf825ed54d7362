"""Every protocol artifact the library keeps equals the file of its pinned npm package
(Uniswap V3 core and periphery, Aave V3 core), and links as its compiler said."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

from anyio_workflow.errors import InvalidArgument
from anyio_workflow.protocols import protocol_artifact

NPM = Path(__file__).parents[2] / "node_modules"
COMPILED = files("anyio_workflow.protocols").joinpath("compiled")
KEPT = sorted(p.name[:-5] for p in COMPILED.iterdir() if p.name.endswith(".json"))
PINNED = {"@uniswap/v3-core": "1.0.1", "@uniswap/v3-periphery": "1.4.4",
          "@aave/core-v3": "1.19.3"}  # fmt: skip


def test_the_kept_artifacts_are_the_uniswap_and_aave_contracts_we_deploy() -> None:
    assert len(KEPT) == 24  # 5 of Uniswap V3, 19 of Aave V3
    assert {"UniswapV3Factory", "SwapRouter", "QuoterV2", "Pool", "PoolConfigurator",
            "PoolAddressesProvider", "AaveOracle"} <= set(KEPT)  # fmt: skip
    assert "NOTICE" in {p.name for p in COMPILED.iterdir()}


@pytest.mark.parametrize("name", KEPT)
def test_each_kept_artifact_equals_its_pinned_npm_file(name: str) -> None:
    kept = protocol_artifact(name)
    package, version = kept.package.rsplit("@", 1)
    assert PINNED[package] == version
    assert json.loads((NPM / package / "package.json").read_text())["version"] == version
    pinned = json.loads((NPM / package / kept.path).read_text())
    assert (kept.abi, kept.bytecode, kept.deployed_bytecode) == (
        pinned["abi"], pinned["bytecode"], pinned["deployedBytecode"],
    )  # fmt: skip
    assert kept.link_references == (pinned.get("linkReferences") or {})


def test_linking_fills_every_placeholder_and_nothing_deploys_unlinked() -> None:
    pool = protocol_artifact("Pool")
    assert pool.libraries == sorted(["BorrowLogic", "BridgeLogic", "EModeLogic",
                                     "FlashLoanLogic", "LiquidationLogic", "PoolLogic",
                                     "SupplyLogic"])  # fmt: skip
    with pytest.raises(InvalidArgument, match="link"):
        pool.deploy_data("0x" + "11" * 20)
    with pytest.raises(InvalidArgument, match="link"):
        pool.linked({"BorrowLogic": "0x" + "22" * 20})
    addresses = {name: "0x" + f"{i + 1:02x}" * 20 for i, name in enumerate(pool.libraries)}
    linked = pool.linked(addresses)
    bytes.fromhex(linked.bytecode[2:])  # hex throughout: no placeholder left
    for names in pool.link_references.values():
        for name, places in names.items():
            for place in places:
                start = 2 + 2 * place["start"]
                assert linked.bytecode[start : start + 40] == addresses[name][2:]
