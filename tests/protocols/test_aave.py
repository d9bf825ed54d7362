"""Aave V3 from its npm bytecode: a market deployed as Aave's scripts do (libraries
linked, reserves listed), and AaveLendingAgent supplying, borrowing, repaying and
withdrawing on the embedded devnet and on anvil, positions read back from the chain; a
borrow that would take the health factor under its floor is vetoed unsent (issue 18)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import AaveLendingAgent, LendingReport
from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.errors import InvalidArgument, Veto
from anyio_workflow.evm import Contract, LocalSigner, TxSender
from anyio_workflow.evm.abi import ERC20_ABI
from anyio_workflow.protocols import AaveV3
from anyio_workflow.rpc import EthRpc
from anyio_workflow.testing.aave import Reserve, deploy_aave

from ..nodes import Chain

TOKEN_ABI = artifact("TestToken").abi  # the test ERC-20: mint, and the rest

USDC, WETH = 10**6, 10**18


async def _market(chain: Chain) -> dict[str, Any]:
    node = chain.node
    owner = LocalSigner("0x" + node.accounts[0].key.hex())
    async with node.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, owner, node.chain_id, poll_interval=0.01)
        usdc = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        weth = await deploy(sender, "TestToken", "Wrapped Ether (test)", "WETH", 18)
        for token, amount in ((usdc, 10**6 * USDC), (weth, 100 * WETH)):
            await sender.send(Contract(token, TOKEN_ABI, eth).functions.mint(owner.address, amount))
        aave = await deploy_aave(sender, [Reserve(usdc, price=1), Reserve(weth, price=2000)])
    return {"owner": owner, "usdc": usdc, "weth": weth, "aave": aave}


async def _run(chain: Chain, market: dict[str, Any], *agents: AaveLendingAgent) -> Any:
    """The agents one after another, each a run of its own (a borrow needs the supply
    before it on chain); the last run's result."""
    result = None
    for agent in agents:
        result = await _one(chain, market, agent)
        if not result.ok:
            break
    return result


async def _one(chain: Chain, market: dict[str, Any], agent: AaveLendingAgent) -> Any:
    workflow = AsyncWorkflow(
        [agent],
        AsyncWorkflowConfig(auto_store_proofs=False, max_workers=1),
        rpc={chain.node.chain_id: chain.rpc},
        signer=market["owner"],
    )
    return await workflow.run("lend", chain_id=chain.node.chain_id)


async def _held(chain: Chain, token: str, owner: str) -> int:
    async with chain.node.client() as client:
        return int(
            await Contract(token, ERC20_ABI, EthRpc(client)).functions.balanceOf(owner).call()
        )


async def test_supply_borrow_repay_withdraw_on_the_real_pool(chain: Chain) -> None:
    market = await _market(chain)
    aave: AaveV3 = market["aave"]
    usdc, weth, owner = market["usdc"], market["weth"], market["owner"].address
    cid = chain.node.chain_id
    lend = [
        AaveLendingAgent("supply", weth, Decimal(10), aave=aave, chain_id=cid, name="collateral"),
        AaveLendingAgent("supply", usdc, 50_000 * USDC, aave=aave, chain_id=cid, name="liquidity"),
        AaveLendingAgent("borrow", usdc, "5000 USDC", aave=aave, chain_id=cid, name="borrow"),
    ]
    result = await _run(chain, market, *lend)
    assert result.ok, result.error
    borrowed: LendingReport = result.outcome("borrow").output
    # 10 WETH at 2,000 and 50,000 USDC, at an 85 % liquidation threshold, over 5,000 owed
    assert borrowed.after.collateral == 70_000 * 10**8 and borrowed.after.debt == 5_000 * 10**8
    assert borrowed.after.health == Decimal("11.9")
    assert await _held(chain, usdc, owner) == (10**6 - 50_000 + 5_000) * USDC
    # Under the floor: vetoed before anything is signed, and the position is unchanged.
    async with chain.node.client() as client:
        nonce = await EthRpc(client).get_transaction_count(owner)
    greedy = AaveLendingAgent(
        "borrow",
        usdc,
        50_000 * USDC,
        aave=aave,
        chain_id=cid,
        min_health=Decimal("1.5"),
        name="greedy",
    )
    refused = await _run(chain, market, greedy)
    assert not refused.ok and isinstance(refused.error, Veto)
    assert "to 1.0818, under the floor of 1.5" in str(refused.error)
    async with chain.node.client() as client:
        assert await EthRpc(client).get_transaction_count(owner) == nonce
        assert (await aave.account(EthRpc(client), owner)).debt == 5_000 * 10**8
    close = [
        AaveLendingAgent("repay", usdc, "all", aave=aave, chain_id=cid, name="repay"),
        AaveLendingAgent("withdraw", weth, Decimal(10), aave=aave, chain_id=cid, name="out"),
    ]
    result = await _run(chain, market, *close)
    assert result.ok, result.error
    out: LendingReport = result.outcome("out").output
    assert out.after.debt == 0 and out.after.health is None
    assert await _held(chain, weth, owner) == 100 * WETH  # all of it back


def test_bad_lending_is_refused_naming_the_field() -> None:
    aave = AaveV3(
        provider="0x" + "11" * 20,
        pool="0x" + "22" * 20,
        oracle="0x" + "33" * 20,
        data_provider="0x" + "44" * 20,
    )
    with pytest.raises(InvalidArgument, match="action"):
        AaveLendingAgent("lend", "0x" + "55" * 20, 1, aave=aave)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="amount: 'all' only withdraws or repays"):
        AaveLendingAgent("borrow", "0x" + "55" * 20, "all", aave=aave)
    with pytest.raises(InvalidArgument, match="min_health"):
        AaveLendingAgent("borrow", "0x" + "55" * 20, 1, aave=aave, min_health="0.9")
