"""A hedge driven by the Chainlink price: sell half of an ETH position for USDC through
Uniswap V3, never under what the oracle says it is worth.

    python examples/hedge.py

On an embedded devnet: an ETH/USD feed (Chainlink's own MockV3Aggregator, compiled from
the pinned ``@chainlink/contracts`` sources, registered as the chain's "ETH/USD" feed),
and a Uniswap V3 WETH/USDC pool (from ``@uniswap/v3-core`` and ``-periphery``'s own
bytecode). The oracle agent reads the feed
(``ChainlinkOracleAgent(feed="ETH/USD")``) and rejects a stale round; a risk monitor
vetoes a price outside sane bounds; the hedge agent waits for the published price and
swaps 60 of the treasury's 120 WETH for USDC with a floor of the oracle's value less 1 %:
a pool priced off the market makes the swap revert at its simulation, and nothing is
sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
from _common import setup

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import (
    BaseAgent,
    ChainlinkOracleAgent,
    RiskMonitorAgent,
    SwapReport,
    UniswapV3Agent,
)
from anyio_workflow.agents.risk import PriceBounds
from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.core.exact import scaled
from anyio_workflow.evm import Contract, TxSender
from anyio_workflow.evm.chainlink import register_feed
from anyio_workflow.protocols import UniswapV3
from anyio_workflow.rpc import EthRpc
from anyio_workflow.testing.uniswap import create_pool, deploy_uniswap

TOKEN_ABI = artifact("TestToken").abi  # the test ERC-20: mint, and the rest

POSITION_ETH = Decimal(120)
HEDGE_RATIO = Decimal("0.5")
ORACLE_TOLERANCE = Decimal("0.01")  # the swap may fetch at most 1 % under the oracle
USDC, WETH = 10**6, 10**18


class HedgeAgent(BaseAgent):
    """Sells ``ratio`` of ``position`` WETH for USDC on Uniswap V3, at no less than the
    published ETH/USD price, less ``ORACLE_TOLERANCE``."""

    def __init__(
        self, weth: str, usdc: str, uniswap: UniswapV3, position: Decimal, ratio: Decimal
    ) -> None:
        super().__init__("hedge")
        self.weth, self.usdc, self.uniswap = weth, usdc, uniswap
        self.position, self.ratio = position, ratio

    async def execute(self, task: Any, ctx: Any) -> SwapReport:
        price = (await ctx.wait_for("ETH/USD")).value
        sell = self.position * self.ratio
        floor = int(scaled(sell * price * (1 - ORACLE_TOLERANCE), 6))  # USDC base units
        swap = UniswapV3Agent(
            self.weth,
            self.usdc,
            sell,
            max_slippage=Decimal("0.5"),
            at_least=floor,
            uniswap=self.uniswap,
            name="hedge-swap",
        )
        report: SwapReport = await swap.execute(task, ctx)
        return report


async def main(price: int = 3_150, pool_price: int = 3_150) -> dict[str, Any]:
    """The hedge with the feed at ``price`` and the pool at ``pool_price``."""
    contracts = {"feed": ("MockV3Aggregator", 8, price * 10**8)}
    chain = await setup(1, "ethereum", contracts, usdc=10**8 * USDC)
    async with chain.devnet.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, chain.treasury, chain.chain_id)
        register_feed(chain.chain_id, "ETH/USD", chain.contracts["feed"])  # its "ETH/USD"
        weth = chain.contracts["weth"] = await deploy(
            sender, "TestToken", "Wrapped Ether (test)", "WETH", 18
        )
        await sender.send(
            Contract(weth, TOKEN_ABI, eth).functions.mint(chain.treasury.address, 20_120 * WETH)
        )
        uniswap = await deploy_uniswap(sender, weth=weth)
        await create_pool(
            sender,
            uniswap,
            weth,
            chain.contracts["usdc"],
            price=pool_price,
            amount_a=20_000 * WETH,
            amount_b=20_000 * pool_price * USDC,
        )
    workflow = AsyncWorkflow(
        [
            ChainlinkOracleAgent(feed="ETH/USD", key="ETH/USD", heartbeat=3_600),
            RiskMonitorAgent([PriceBounds("ETH/USD", Decimal(500), Decimal(20_000))]),
            HedgeAgent(weth, chain.contracts["usdc"], uniswap, POSITION_ETH, HEDGE_RATIO),
        ],
        rpc={chain.chain_id: chain.devnet.transport},
        signer=chain.treasury,
    )
    result = await workflow.run("hedge", chain_id=chain.chain_id)
    return {"setup": chain, "result": result, "price": price, "uniswap": uniswap}


if __name__ == "__main__":
    out = anyio.run(main)
    result = out["result"]
    print(f"ETH/USD {out['price']}: run {result.status.value}")
    if result.ok:
        swap = result.outcome("hedge").output
        print(
            f"sold {swap.amount_in / WETH} WETH for {swap.amount_out / USDC:,.2f} USDC "
            f"(floor {swap.limit / USDC:,.2f}): {swap.receipts[-1].hash}"
        )
    else:
        print(f"  {result.error}")
