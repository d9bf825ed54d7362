"""The seed's rebalance, on the real protocols: USDC out of an Aave V3 market on
"ethereum" and into a Uniswap V3 pool's WETH on "polygon", both chains at once, under a
risk monitor.

    python examples/rebalance.py

Each chain is an embedded devnet. On "ethereum", an Aave V3 market (deployed from
``@aave/core-v3``'s own bytecode) where the treasury has supplied 1,000,000 USDC and
borrowed against it; on "polygon", a Uniswap V3 USDC/WETH pool (``@uniswap/v3-core`` and
``-periphery``) with liquidity at 2,000 USDC a WETH. One workflow: the risk monitor checks
both chains first (the seed's ``RiskMonitorAgent(threshold=0.85)``: the run moves at most
85 % of the treasury's USDC on polygon, and its Aave position stays healthy); then one
agent withdraws 400,000 USDC from Aave while another, at the same time, swaps 200,000 USDC
of the treasury's polygon inventory into WETH (a bridge would carry the withdrawn USDC
over; here the inventory stands in), within 0.3 % slippage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
from _common import setup, token_balance

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import (
    AaveLendingAgent,
    AuditorAgent,
    RiskMonitorAgent,
    UniswapV3Agent,
)
from anyio_workflow.agents.risk import MaxUtilization, MinBalance
from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.evm import Contract, TxSender
from anyio_workflow.rpc import EthRpc
from anyio_workflow.testing.aave import Reserve, deploy_aave
from anyio_workflow.testing.uniswap import create_pool, deploy_uniswap

TOKEN_ABI = artifact("TestToken").abi  # the test ERC-20: mint, and the rest

USDC, WETH = 10**6, 10**18
WITHDRAW, SWAP = 400_000 * USDC, 200_000 * USDC


async def _markets() -> dict[str, Any]:
    """The two chains, their tokens, an Aave market on one and a Uniswap pool on the
    other, and the treasury's starting positions."""
    ethereum = await setup(1, "ethereum", {}, usdc=2_000_000 * USDC)
    polygon = await setup(137, "polygon", {}, usdc=5_000_000 * USDC)
    async with ethereum.devnet.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, ethereum.treasury, 1)
        weth = await deploy(sender, "TestToken", "Wrapped Ether (test)", "WETH", 18)
        usdc = ethereum.contracts["usdc"]
        aave = await deploy_aave(sender, [Reserve(usdc, price=1), Reserve(weth, price=2000)])
    async with polygon.devnet.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, polygon.treasury, 137)
        polygon.contracts["weth"] = weth_p = await deploy(
            sender, "TestToken", "Wrapped Ether (test)", "WETH", 18
        )
        await sender.send(
            Contract(weth_p, TOKEN_ABI, eth).functions.mint(polygon.treasury.address, 5_000 * WETH)
        )
        uniswap = await deploy_uniswap(sender, weth=weth_p)
        await create_pool(
            sender,
            uniswap,
            weth_p,
            polygon.contracts["usdc"],
            price=2000,
            amount_a=2_000 * WETH,
            amount_b=4_000_000 * USDC,
        )
    # The treasury's Aave position: 1,000,000 USDC supplied, 100,000 borrowed against it.
    supply = AaveLendingAgent("supply", usdc, 1_000_000 * USDC, aave=aave, chain_id=1)
    borrow = AaveLendingAgent("borrow", usdc, 100_000 * USDC, aave=aave, chain_id=1)
    for agent in (supply, borrow):
        setup_run = AsyncWorkflow(
            [agent],
            AsyncWorkflowConfig(auto_store_proofs=False),
            rpc={1: ethereum.devnet.transport},
            signer=ethereum.treasury,
        )
        (await setup_run.run("open", chain_id=1)).raise_for_status()
    return {"ethereum": ethereum, "polygon": polygon, "aave": aave, "uniswap": uniswap}


async def main() -> dict[str, Any]:
    markets = await _markets()
    ethereum, polygon = markets["ethereum"], markets["polygon"]
    treasury = ethereum.treasury  # the same test key on both devnets
    usdc_p, weth_p = polygon.contracts["usdc"], polygon.contracts["weth"]
    workflow = AsyncWorkflow(
        [
            RiskMonitorAgent(
                [
                    MaxUtilization(0.85, token=usdc_p),  # the seed's threshold=0.85
                    MinBalance(treasury.address, SWAP, token=usdc_p, chain_id=137),
                ],
                name="risk",
            ),
            AaveLendingAgent(
                "withdraw",
                ethereum.contracts["usdc"],
                WITHDRAW,
                aave=markets["aave"],
                chain_id=1,
                name="aave@ethereum",
            ),
            UniswapV3Agent(
                usdc_p,
                weth_p,
                SWAP,
                max_slippage=Decimal("0.3"),
                uniswap=markets["uniswap"],
                chain_id=137,
                name="uniswap@polygon",
            ),
            AuditorAgent(signer=treasury),
        ],
        rpc={1: ethereum.devnet.transport, 137: polygon.devnet.transport},
        signer=treasury,
    )
    result = await workflow.run("rebalance", chain_id=137, params={"total": SWAP})
    result.raise_for_status()
    return {**markets, "result": result}


async def balances(out: dict[str, Any]) -> dict[str, int]:
    """The treasury's USDC on ethereum, and its USDC and WETH on polygon."""
    ethereum, polygon = out["ethereum"], out["polygon"]
    who = ethereum.treasury.address
    return {
        "usdc@ethereum": await token_balance(ethereum.devnet, ethereum.contracts["usdc"], who),
        "usdc@polygon": await token_balance(polygon.devnet, polygon.contracts["usdc"], who),
        "weth@polygon": await token_balance(polygon.devnet, polygon.contracts["weth"], who),
    }


if __name__ == "__main__":

    async def show() -> None:
        out = await main()
        for name, balance in (await balances(out)).items():
            unit = WETH if name.startswith("weth") else USDC
            print(f"{name:>14}: {Decimal(balance) / unit:>16,.6f}")
        withdrawn = out["result"].outcome("aave@ethereum").output
        print(f"Aave health factor after the withdrawal: {withdrawn.after.health:.4f}")
        swap = out["result"].outcome("uniswap@polygon").output
        print(
            f"swapped {swap.amount_in / USDC:,.0f} USDC for {swap.amount_out / WETH:.6f} WETH "
            f"(at least {swap.limit / WETH:.6f})"
        )

    anyio.run(show)
