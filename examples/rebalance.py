"""Cross-chain liquidity rebalancing: two vaults of test USDC, on "ethereum" and "polygon".

    python examples/rebalance.py

Each chain is an embedded devnet with a test USDC and a SimpleVault. The ethereum vault
holds 1,000,000 USDC, the polygon vault 200,000; the treasury brings them to 600,000
each in one workflow: a risk monitor checks both chains first, then one agent withdraws
from the ethereum vault while another, at the same time, deposits on polygon from the
treasury's inventory there (a bridge would move it; here the inventory stands in).
"""

from __future__ import annotations

from typing import Any

import anyio
from _common import setup, token_balance

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import AuditorAgent, BaseAgent, ContractCallAgent, RiskMonitorAgent
from anyio_workflow.agents.risk import MinBalance
from anyio_workflow.evm import TxRequest, TxSender
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc

USDC = 10**6
APPROVE = function("approve(address,uint256)")
DEPOSIT = function("deposit(uint256)")


class VaultDeposit(BaseAgent):
    """Approve the vault, then deposit: two transactions, in order, on one chain."""

    def __init__(self, token: str, vault: str, amount: int, chain_id: int) -> None:
        super().__init__(f"deposit@{chain_id}")
        self.token, self.vault, self.amount, self.chain_id = token, vault, amount, chain_id

    async def execute(self, task: Any, ctx: Any) -> Any:
        sender = ctx.sender(ctx.signer, self.chain_id)
        approve = APPROVE.calldata(self.vault, self.amount)
        first = await sender.send(TxRequest(to=self.token, data=approve))
        deposit = DEPOSIT.calldata(self.amount)
        return [first, await sender.send(TxRequest(to=self.vault, data=deposit))]


async def fund_vault(chain: Any, amount: int) -> None:
    async with chain.devnet.client() as client:
        sender = TxSender(EthRpc(client), chain.treasury, chain.chain_id)
        usdc, vault = chain.contracts["usdc"], chain.contracts["vault"]
        await sender.send(TxRequest(to=usdc, data=APPROVE.calldata(vault, amount)))
        await sender.send(TxRequest(to=vault, data=DEPOSIT.calldata(amount)))


async def main() -> dict[str, Any]:
    vault = {"vault": ("SimpleVault", "usdc")}
    ethereum = await setup(1, "ethereum", vault, usdc=2_000_000 * USDC)
    polygon = await setup(137, "polygon", vault, usdc=1_000_000 * USDC)
    await fund_vault(ethereum, 1_000_000 * USDC)
    await fund_vault(polygon, 200_000 * USDC)
    move = 400_000 * USDC
    eth_vault, treasury = ethereum.contracts["vault"], ethereum.treasury.address
    workflow = AsyncWorkflow(
        [
            RiskMonitorAgent(
                [
                    MinBalance(eth_vault, move, token=ethereum.contracts["usdc"], chain_id=1),
                    MinBalance(treasury, move, token=polygon.contracts["usdc"], chain_id=137),
                ]
            ),
            ContractCallAgent(
                eth_vault,
                "withdraw(uint256,address)",
                [move, treasury],
                chain_id=1,
                name="withdraw@1",
            ),
            VaultDeposit(polygon.contracts["usdc"], polygon.contracts["vault"], move, 137),
            AuditorAgent(signer=ethereum.treasury),
        ],
        rpc={1: ethereum.devnet.transport, 137: polygon.devnet.transport},
        signer=ethereum.treasury,  # the same test key on both devnets
    )
    result = await workflow.run("rebalance", chain_id=1)
    result.raise_for_status()
    return {"ethereum": ethereum, "polygon": polygon, "result": result}


async def vault_balances(out: dict[str, Any]) -> dict[str, int]:
    return {
        name: await token_balance(c.devnet, c.contracts["usdc"], c.contracts["vault"])
        for name, c in (("ethereum", out["ethereum"]), ("polygon", out["polygon"]))
    }


if __name__ == "__main__":

    async def show() -> None:
        out = await main()
        for name, balance in (await vault_balances(out)).items():
            print(f"{name:>9} vault: {balance / USDC:>12,.2f} USDC")
        for receipt in out["result"]:
            print(f"  chain {receipt.chain_id:>3}  {receipt.hash}  block {receipt.block_number}")

    anyio.run(show)
