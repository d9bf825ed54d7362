"""Copy the compiled protocol contracts the library ships from their pinned npm packages
(``npm ci`` first) into ``anyio_workflow/protocols/compiled/``: ABI and bytecode only,
with the package and path they came from. A test checks that they still equal the npm
files; each package's licence is recorded in the NOTICE beside them.

    python scripts/vendor_artifacts.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "anyio_workflow" / "protocols" / "compiled"
WANTED = {
    "@uniswap/v3-core": [
        "artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
        "artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    ],
    "@uniswap/v3-periphery": [
        "artifacts/contracts/SwapRouter.sol/SwapRouter.json",
        "artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
        "artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
    ],
    "@aave/core-v3": [
        f"artifacts/contracts/{path}"
        for path in (
            "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
            "protocol/configuration/ACLManager.sol/ACLManager.json",
            "protocol/pool/Pool.sol/Pool.json",
            "protocol/pool/PoolConfigurator.sol/PoolConfigurator.json",
            "protocol/pool/DefaultReserveInterestRateStrategy.sol/"
            "DefaultReserveInterestRateStrategy.json",
            "protocol/tokenization/AToken.sol/AToken.json",
            "protocol/tokenization/StableDebtToken.sol/StableDebtToken.json",
            "protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json",
            "misc/AaveOracle.sol/AaveOracle.json",
            "misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json",
            "mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json",
            *(
                f"protocol/libraries/logic/{name}.sol/{name}.json"
                for name in (
                    "SupplyLogic",
                    "BorrowLogic",
                    "LiquidationLogic",
                    "EModeLogic",
                    "BridgeLogic",
                    "FlashLoanLogic",
                    "PoolLogic",
                    "ConfiguratorLogic",
                )
            ),
        )
    ],
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for package, paths in WANTED.items():
        root = ROOT / "node_modules" / package
        version = json.loads((root / "package.json").read_text())["version"]
        for path in paths:
            raw = json.loads((root / path).read_text())
            kept = {
                "contractName": raw["contractName"],
                "package": f"{package}@{version}",
                "path": path,
                "abi": raw["abi"],
                "bytecode": raw["bytecode"],
                "deployedBytecode": raw["deployedBytecode"],
                "linkReferences": raw.get("linkReferences") or {},
            }
            name = raw["contractName"]
            if name == "MockAggregator":  # the project has one of its own: say whose
                name = "AaveMockAggregator"
            (OUT / f"{name}.json").write_text(json.dumps(kept) + "\n")
            print(f"{package}@{version} {path}")


if __name__ == "__main__":
    main()
