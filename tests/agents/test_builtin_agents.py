"""The built-in agents, on the embedded devnet and on anvil, asserting on chain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import (
    AuditorAgent,
    BatchTransferAgent,
    ChainlinkOracleAgent,
    ContractCallAgent,
    Erc20TransferAgent,
    Erc721BatchMintAgent,
    MaxDeviation,
    MinBalance,
    NativeTransferAgent,
    PriceBounds,
    RiskMonitorAgent,
)
from anyio_workflow.agents.helpers import base_units, token_balance
from anyio_workflow.chains import register_token
from anyio_workflow.contracts import artifact
from anyio_workflow.errors import ExecutionReverted
from anyio_workflow.evm import LocalSigner
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc
from anyio_workflow.workflow.status import RunStatus

from ..nodes import Chain, deploy, transact

MINT = function("mint(address,uint256)")
SET_ROUND = function("setRound(int256,uint256)")


def workflow(chain: Chain, agents: list[Any], **options: Any) -> AsyncWorkflow:
    signer = LocalSigner("0x" + chain.node.accounts[1].key.hex())
    return AsyncWorkflow(agents, rpc={chain.node.chain_id: chain.rpc}, signer=signer, **options)


async def usdc(chain: Chain, eth: EthRpc, holder: str, amount: int) -> str:
    token = await deploy(chain.node, eth, "TestToken", "Test USDC", "USDC", 6)
    await transact(chain.node, eth, token, MINT.encode(holder, amount))
    return token


@pytest.mark.parametrize(
    ("amount", "decimals", "expected"),
    [(5, 6, 5), (Decimal("1.5"), 6, 1_500_000), ("0.000001 USDC", 6, 1), (Decimal("2"), 0, 2),
     ("750000 DAI", 18, 750_000 * 10**18)],
)  # fmt: skip
def test_amounts_in_base_units(amount: Any, decimals: int, expected: int) -> None:
    assert base_units(amount, decimals) == expected


@pytest.mark.parametrize(
    ("amount", "message"),
    [(Decimal("0.0000001"), "more decimal places"), (-1, "negative"),
     (1.5, "1.5 is not an amount"), ("ten USDC", "not a number"), (True, "True is not"),
     ("12.5", r"'12.5' does not say its unit: give an int in base units \(1500000\), a "
              r"Decimal in whole units \(Decimal\('1.5'\)\), or a string with its unit"),
     ("1 DAI", "'1 DAI' is in DAI, but this pays USDC")],
)  # fmt: skip
def test_bad_amounts_are_clear_errors(amount: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        base_units(amount, 6, unit="USDC")


async def test_amounts_and_tokens_by_their_symbols(chain: Chain) -> None:
    node = chain.node
    payer, bob = node.accounts[1].address, node.accounts[6].address
    async with node.client() as client:
        eth = EthRpc(client)
        token = await usdc(chain, eth, payer, 10**12)
        register_token(node.chain_id, "USDC", token, 6)  # the devnet's test USDC
        before = await eth.get_balance(bob)
        agents = [
            Erc20TransferAgent("USDC", bob, "12.5 USDC"),
            NativeTransferAgent(bob, "0.25 ETH"),
        ]
        result = await workflow(chain, agents).run("pay", chain_id=node.chain_id)
        assert result.ok, result.error
        assert await token_balance(eth, token, bob) == 12_500_000
        assert await eth.get_balance(bob) - before == 25 * 10**16
        wrong = await workflow(chain, [Erc20TransferAgent(token, bob, "1 DAI")]).run(
            "pay", chain_id=node.chain_id
        )
        assert "'1 DAI' is in DAI, but this pays USDC" in str(wrong.error)


async def test_native_and_erc20_transfers(chain: Chain) -> None:
    node = chain.node
    payer, bob = node.accounts[1].address, node.accounts[7].address
    async with node.client() as client:
        eth = EthRpc(client)
        token = await usdc(chain, eth, payer, 10**12)
        coin_before = await eth.get_balance(bob)
        agents = [
            NativeTransferAgent(bob, Decimal("0.25")),
            Erc20TransferAgent(token, bob, Decimal("12.345678")),
            Erc20TransferAgent(token, bob, 7),
        ]
        result = await workflow(chain, agents).run("pay", chain_id=node.chain_id)
        assert result.ok, result.error
        assert await eth.get_balance(bob) - coin_before == 25 * 10**16
        assert await token_balance(eth, token, bob) == 12_345_678 + 7
        assert len(result) == 3 and all(r.status == 1 for r in result)

        too_fine = Erc20TransferAgent(token, bob, Decimal("0.0000001"))
        failed = await workflow(chain, [too_fine]).run("pay", chain_id=node.chain_id)
        assert failed.status is RunStatus.FAILED
        assert "more decimal places than the token's 6" in str(failed.error)


@pytest.mark.parametrize("kind", ["native", "erc20"])
async def test_batch_payouts_go_in_few_transactions(chain: Chain, kind: str) -> None:
    node = chain.node
    payer = node.accounts[1].address
    vendors = ["0x" + f"{0xBEEF0000 + i:040x}" for i in range(30)]
    amounts = [10**6 * (i + 1) for i in range(30)]
    async with node.client() as client:
        eth = EthRpc(client)
        batcher = await deploy(node, eth, "BatchPayer")
        token = await usdc(chain, eth, payer, 10**15) if kind == "erc20" else None
        agent = BatchTransferAgent(list(zip(vendors, amounts, strict=True)), token=token,
                                   batcher=batcher, chunk_size=12)  # fmt: skip
        result = await workflow(chain, [agent]).run("payouts", chain_id=node.chain_id)
        assert result.ok, result.error
        report = result.outcome("BatchTransferAgent").output
        assert sorted(i for t in report.transactions for i in t.payouts) == list(range(30))
        assert report.batched == (report.estimated_batched_gas < report.estimated_individual_gas)
        if kind == "erc20":
            assert report.batched and report.approval is not None
            assert [len(t.payouts) for t in report.transactions] == [12, 12, 6]
            assert report.gas_used < report.estimated_individual_gas
        else:
            # Paying a fresh account from a contract costs more than a transaction of its
            # own (25,000 for the new account + 9,000 for the value, against 21,000 in
            # all), so the estimates say no, and each payout goes alone.
            assert not report.batched and len(report.transactions) == 30
        for vendor, amount in zip(vendors, amounts, strict=True):
            got = await (
                eth.get_balance(vendor) if token is None else token_balance(eth, token, vendor)
            )
            assert got == amount
        assert list(result) == list(report.receipts)  # the run's receipts include them all


async def test_a_single_payout_is_not_batched(chain: Chain) -> None:
    node = chain.node
    async with node.client() as client:
        batcher = await deploy(node, EthRpc(client), "BatchPayer")
    agent = BatchTransferAgent([(node.accounts[8].address, 5)], batcher=batcher)
    result = await workflow(chain, [agent]).run("payouts", chain_id=node.chain_id)
    report = result.outcome("BatchTransferAgent").output
    assert result.ok and not report.batched and len(report.transactions) == 1


async def test_contract_calls_are_simulated_first(chain: Chain) -> None:
    node = chain.node
    async with node.client() as client:
        eth = EthRpc(client)
        token = await usdc(chain, eth, node.accounts[1].address, 100)
        reverter = await deploy(node, eth, "Reverter")
    read = ContractCallAgent(token, "balanceOf(address) returns (uint256)",
                             [node.accounts[1].address], read_only=True)  # fmt: skip
    write = ContractCallAgent(token, "transfer(address,uint256)", [node.accounts[9].address, 40])
    result = await workflow(chain, [read, write]).run("calls", chain_id=node.chain_id)
    assert result.ok
    assert result.outcome("call:balanceOf").output == 100  # the value, not a 1-tuple
    reverts = ContractCallAgent(reverter, "withReason", abi=artifact("Reverter").abi)
    failed = await workflow(chain, [reverts]).run("calls", chain_id=node.chain_id)
    assert isinstance(failed.error, ExecutionReverted)
    assert failed.outcome("call:withReason").error is failed.error


async def price_feed(chain: Chain, price: int, *, pair: str = "ETH / USD", age: int = 0) -> str:
    """A test aggregator (8 decimals) answering ``price``, updated ``age`` seconds before
    the latest block."""
    node = chain.node
    async with node.client() as client:
        eth = EthRpc(client)
        feed = await deploy(node, eth, "MockAggregator", 8, pair)
        now = int((await eth.get_block("latest"))["timestamp"])
        await transact(node, eth, feed, SET_ROUND.encode(price * 10**8, now - age))
    return feed


async def test_oracle_price_feeds_the_risk_monitor(chain: Chain) -> None:
    node = chain.node
    feed, second = await price_feed(chain, 2_000), await price_feed(chain, 2_100)

    def agents(low: int, high: int, limit: str) -> list[Any]:
        return [
            ChainlinkOracleAgent(feed, key="ETH/USD"),
            ChainlinkOracleAgent(second, key="ETH/USD:backup", name="backup"),
            RiskMonitorAgent([PriceBounds("ETH/USD", Decimal(low), Decimal(high)),
                              MaxDeviation("ETH/USD", "ETH/USD:backup", Decimal(limit))]),
            NativeTransferAgent(node.accounts[9].address, 1),
        ]  # fmt: skip

    ok = await workflow(chain, agents(1_500, 2_500, "0.1")).run("hedge", chain_id=node.chain_id)
    assert ok.ok, ok.error
    assert ok.outcome("ChainlinkOracleAgent").output.value == Decimal(2000)
    vetoed = await workflow(chain, agents(2_500, 3_000, "0.01")).run(
        "hedge", chain_id=node.chain_id
    )
    assert vetoed.status is RunStatus.VETOED
    reason = str(vetoed.error)
    assert "price ETH/USD = 2000 is outside [2500, 3000]" in reason
    assert "deviate by 0.0500, over the limit of 0.01" in reason
    assert vetoed.outcome("NativeTransferAgent").status.value == "skipped"


async def test_a_stale_round_and_a_low_balance_veto(chain: Chain) -> None:
    node = chain.node
    feed = await price_feed(chain, 2_000, age=7_200)
    stale = await workflow(chain, [ChainlinkOracleAgent(feed, heartbeat=3_600)]).run(
        "hedge", chain_id=node.chain_id
    )
    assert stale.status is RunStatus.VETOED and "s old (heartbeat 3600 s)" in str(stale.error)
    poor = "0x" + "00" * 19 + "01"
    low = RiskMonitorAgent([MinBalance(poor, 10**18)])
    vetoed = await workflow(chain, [low]).run("pay", chain_id=node.chain_id)
    assert vetoed.status is RunStatus.VETOED and "under the threshold of 10" in str(vetoed.error)


async def test_the_seeds_threshold_is_a_utilization_limit(chain: Chain) -> None:
    node = chain.node
    async with node.client() as client:
        balance = await EthRpc(client).get_balance(node.accounts[1].address)
    monitor = RiskMonitorAgent(threshold=0.85)
    fine = await workflow(chain, [monitor]).run(
        "pay", params={"total": balance // 2}, chain_id=node.chain_id
    )
    assert fine.ok
    over = await workflow(chain, [monitor]).run(
        "pay", params={"total": balance * 9 // 10}, chain_id=node.chain_id
    )
    assert over.status is RunStatus.VETOED and "over the threshold of 85%" in str(over.error)
    # The seed's form, in whole units (it was a bare int() ValueError), and in its unit.
    in_eth = await workflow(chain, [monitor]).run(
        "pay", params={"total": "1 ETH"}, chain_id=node.chain_id
    )
    assert in_eth.ok, in_eth.error
    # A USDC total against an ETH balance passed before: unlike units are refused.
    unlike = await workflow(chain, [monitor]).run(
        "pay", params={"total": "900 USDC"}, chain_id=node.chain_id
    )
    assert unlike.status is RunStatus.VETOED
    assert "total '900 USDC' is in USDC, and this check weighs it against" in str(unlike.error)
    assert "ETH balance; unlike units are not compared" in str(unlike.error)


async def test_nft_batch_mint_in_eco_mode(chain: Chain) -> None:
    node = chain.node
    owner = node.accounts[1].address
    async with node.client() as client:
        eth = EthRpc(client)
        nft = await deploy(node, eth, "TestNFT", "Badges", "BDG")
        agent = Erc721BatchMintAgent(250, nft, per_tx=100, eco_wait=5)
        result = await workflow(chain, [agent], config=AsyncWorkflowConfig(gas_strategy="eco")).run(
            "mint", chain_id=node.chain_id
        )
        assert result.ok, result.error
        report = result.outcome("Erc721BatchMintAgent").output
        assert report.token_ids == tuple(range(1, 251)) and len(report.receipts) == 3
        assert {r.strategy for r in report.receipts} == {"eco"}  # the workflow's, not forced
        raw = await eth.call(
            {"to": nft, "data": "0x" + function("balanceOf(address)").encode(owner).hex()}
        )
        assert int.from_bytes(raw, "big") == 250


async def test_an_agents_own_strategy_wins_and_the_record_says_which(chain: Chain) -> None:
    node = chain.node
    bob = node.accounts[7].address
    auditor = AuditorAgent()
    agents = [
        NativeTransferAgent(bob, 1, name="urgent", strategy="fast"),
        NativeTransferAgent(bob, 2, name="default"),
        auditor,
    ]
    result = await workflow(chain, agents, config=AsyncWorkflowConfig(gas_strategy="eco")).run(
        "pay", chain_id=node.chain_id
    )
    assert result.ok, result.error
    assert result.outcome("urgent").output.strategy == "fast"
    assert result.outcome("default").output.strategy == "eco"
    assert result.audit is not None
    recorded = {t.agent: t.strategy for t in result.audit.record.transactions}
    assert recorded == {"urgent": "fast", "default": "eco"}


async def test_a_wait_for_a_key_nobody_publishes_ends_naming_the_key(chain: Chain) -> None:
    """It waited forever (issue 27): the seed's oracle publishes "price", and a consumer
    waiting for "ETH/USD" hung with no message."""
    from anyio_workflow import BaseAgent, Role
    from anyio_workflow.errors import NotFound

    class Consumer(BaseAgent):  # type: ignore[type-arg]
        role = Role.VALIDATOR

        async def execute(self, task: Any, ctx: Any) -> Any:
            return await ctx.wait_for("ETH/USD", timeout=0.2)

    class Publisher(BaseAgent):  # type: ignore[type-arg]
        role = Role.VALIDATOR

        async def execute(self, task: Any, ctx: Any) -> Any:
            ctx.publish("price", 2_000)

    node = chain.node
    result = await workflow(chain, [Publisher(), Consumer(), NativeTransferAgent(
        node.accounts[9].address, 1)]).run("hedge", chain_id=node.chain_id)  # fmt: skip
    assert isinstance(result.error, NotFound)
    assert str(result.error) == (
        "wait_for('ETH/USD'): nothing was published under 'ETH/USD' in 0.2 s. Published "
        "so far: ['price']; agents still running that could publish it: none"
    )
    assert result.outcome("NativeTransferAgent").status.value == "skipped"  # nothing sent


async def test_a_feed_named_by_its_pair_is_published_under_the_pair_too(chain: Chain) -> None:
    from anyio_workflow import BaseAgent, Role
    from anyio_workflow.evm.chainlink import register_feed

    node = chain.node
    feed = await price_feed(chain, 3, pair="TST / USD")
    register_feed(node.chain_id, "TST/USD", feed)  # a pair of this test's own

    class Consumer(BaseAgent):  # type: ignore[type-arg]
        role = Role.VALIDATOR

        async def execute(self, task: Any, ctx: Any) -> Any:
            return (await ctx.wait_for("TST/USD")).value

    result = await workflow(chain, [ChainlinkOracleAgent(feed="TST/USD"), Consumer()]).run(
        "hedge", chain_id=node.chain_id
    )
    assert result.ok, result.error
    assert result.outcome("Consumer").output == Decimal(3)


async def test_a_feed_address_with_no_code_says_so(chain: Chain) -> None:
    from anyio_workflow.errors import InvalidArgument

    node = chain.node
    empty = "0x" + "5f" * 20
    result = await workflow(chain, [ChainlinkOracleAgent(feed=empty)]).run(
        "hedge", chain_id=node.chain_id
    )
    assert isinstance(result.error, InvalidArgument)
    assert "has no contract code on this chain: no price feed is there" in str(result.error)


def test_a_compliance_agent_without_a_safe_says_what_it_needs() -> None:
    """The seed's ``ComplianceAgent(signers=["0xCFO", "0xCOO"])`` was a bare TypeError."""
    from anyio_workflow.compliance import ComplianceAgent, InMemoryApprovals
    from anyio_workflow.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match=r"^safe: the address of the Safe .*deploy_safe"):
        ComplianceAgent(signers=["0x" + "11" * 20, "0x" + "22" * 20])
    with pytest.raises(InvalidArgument, match=r"^approvals: where the owners' approvals come"):
        ComplianceAgent("0x" + "33" * 20)
    ComplianceAgent("0x" + "33" * 20, approvals=InMemoryApprovals())  # both given: fine


async def test_a_mint_without_a_contract_says_what_to_give_and_where(chain: Chain) -> None:
    """The seed's mint names no contract: ``NotFound services.erc721`` said nothing of
    what to pass (issue 27)."""
    from anyio_workflow.errors import InvalidArgument

    node = chain.node
    result = await workflow(chain, [Erc721BatchMintAgent(100)]).run(
        "mint_erc721_batch", chain_id=node.chain_id
    )
    assert isinstance(result.error, InvalidArgument)
    assert "Erc721BatchMintAgent(count, contract=ADDRESS)" in str(result.error)
    assert "services={'erc721': ADDRESS}" in str(result.error)
