"""A hedge driven by an oracle price: set aside USDC against half of an ETH position.

    python examples/hedge.py

A Chainlink-style feed (the project's MockAggregator) says what ETH is worth. The oracle
agent reads it and rejects a stale round; a risk monitor vetoes a price outside sane
bounds; the hedge agent waits for the published price and moves USDC worth half of the
treasury's ETH position into a hedge vault.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
from _common import setup

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import BaseAgent, ChainlinkOracleAgent, RiskMonitorAgent
from anyio_workflow.agents.risk import PriceBounds
from anyio_workflow.evm import TxRequest, TxSender
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc

SET_ROUND = function("setRound(int256,uint256)")
APPROVE = function("approve(address,uint256)")
DEPOSIT = function("deposit(uint256)")
POSITION_ETH = Decimal(120)
HEDGE_RATIO = Decimal("0.5")


class HedgeAgent(BaseAgent):
    """Deposits USDC worth ``ratio`` of ``position`` ETH, at the published price."""

    def __init__(self, token: str, vault: str, position: Decimal, ratio: Decimal) -> None:
        super().__init__("hedge")
        self.token, self.vault, self.position, self.ratio = token, vault, position, ratio

    async def execute(self, task: Any, ctx: Any) -> Any:
        price = (await ctx.wait_for("ETH/USD")).value
        amount = int(self.position * self.ratio * price * 10**6)  # USDC base units
        sender = ctx.sender(ctx.signer)
        approve = APPROVE.calldata(self.vault, amount)
        await sender.send(TxRequest(to=self.token, data=approve))
        deposit = DEPOSIT.calldata(amount)
        return await sender.send(TxRequest(to=self.vault, data=deposit))


async def main(price: int = 3_150) -> dict[str, Any]:
    contracts = {"feed": ("MockAggregator", 8, "ETH / USD"), "vault": ("SimpleVault", "usdc")}
    chain = await setup(1, "ethereum", contracts, usdc=10**12)
    async with chain.devnet.client() as client:
        eth = EthRpc(client)
        now = int((await eth.get_block("latest"))["timestamp"])
        sender = TxSender(eth, chain.treasury, chain.chain_id)
        data = SET_ROUND.calldata(price * 10**8, now)
        await sender.send(TxRequest(to=chain.contracts["feed"], data=data))
    workflow = AsyncWorkflow(
        [
            ChainlinkOracleAgent(chain.contracts["feed"], key="ETH/USD", heartbeat=3_600),
            RiskMonitorAgent([PriceBounds("ETH/USD", Decimal(500), Decimal(20_000))]),
            HedgeAgent(
                chain.contracts["usdc"], chain.contracts["vault"], POSITION_ETH, HEDGE_RATIO
            ),
        ],
        rpc={chain.chain_id: chain.devnet.transport},
        signer=chain.treasury,
    )
    result = await workflow.run("hedge", chain_id=chain.chain_id)
    return {"setup": chain, "result": result, "price": price}


if __name__ == "__main__":
    out = anyio.run(main)
    result = out["result"]
    print(f"ETH/USD {out['price']}: run {result.status.value}")
    if result.ok:
        print(f"hedged {POSITION_ETH * HEDGE_RATIO} ETH worth of USDC: {result[0].hash}")
    else:
        print(f"  {result.error}")
