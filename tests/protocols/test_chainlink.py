"""Chainlink's own MockV3Aggregator (compiled from the pinned @chainlink/contracts 1.5.0
sources by the pinned solc) as a chain's "ETH/USD" and a stablecoin's Proof of Reserve
feed: ChainlinkOracleAgent(feed="ETH/USD") by pair, and ProofOfReserve vetoing a token
whose supply its reserves do not cover, on the embedded devnet and on anvil (issue 18)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import ChainlinkOracleAgent, RiskMonitorAgent
from anyio_workflow.agents.risk import ProofOfReserve
from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.errors import NotFound, Veto
from anyio_workflow.evm import Contract, LocalSigner, TxSender
from anyio_workflow.evm.chainlink import FEEDS, feed_address, register_feed
from anyio_workflow.rpc import EthRpc

from ..nodes import Chain

NPM = Path(__file__).parents[2] / "node_modules/@chainlink/contracts"


def test_the_mock_is_chainlinks_own_source_compiled_by_the_pinned_solc() -> None:
    kept = artifact("MockV3Aggregator")
    source = NPM / "src/v0.8/shared/mocks/MockV3Aggregator.sol"
    assert kept.source_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert kept.compiler.startswith("0.8.28")
    assert '"version": "1.5.0"' in (NPM / "package.json").read_text()


def test_published_feeds_are_chain_data_and_unknown_pairs_are_named() -> None:
    assert feed_address(1, "eth / usd") == FEEDS[1]["ETH/USD"]
    assert feed_address(137, "ETH/USD") == FEEDS[137]["ETH/USD"]
    with pytest.raises(NotFound, match="no Chainlink feed 'DOGE/USD' is known on chain 1"):
        feed_address(1, "DOGE/USD")


async def _feed(chain: Chain, answer: int, decimals: int = 8) -> tuple[str, LocalSigner]:
    owner = LocalSigner("0x" + chain.node.accounts[0].key.hex())
    async with chain.node.client() as client:
        sender = TxSender(EthRpc(client), owner, chain.node.chain_id, poll_interval=0.01)
        return await deploy(sender, "MockV3Aggregator", decimals, answer), owner


async def test_the_oracle_agent_reads_a_feed_by_its_pair(chain: Chain) -> None:
    address, owner = await _feed(chain, 3_150 * 10**8)
    register_feed(chain.node.chain_id, "ETH/USD", address)
    workflow = AsyncWorkflow(
        [ChainlinkOracleAgent(feed="ETH/USD", key="eth")],
        AsyncWorkflowConfig(auto_store_proofs=False),
        rpc={chain.node.chain_id: chain.rpc}, signer=owner,
    )  # fmt: skip
    result = await workflow.run("price", chain_id=chain.node.chain_id)
    assert result.ok, result.error
    price = result.outcome("ChainlinkOracleAgent").output
    assert price.value == Decimal(3_150) and price.feed == address


async def test_proof_of_reserve_vetoes_a_token_its_reserves_do_not_cover(chain: Chain) -> None:
    owner = LocalSigner("0x" + chain.node.accounts[0].key.hex())
    async with chain.node.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, owner, chain.node.chain_id, poll_interval=0.01)
        usdc = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        mint = Contract(usdc, artifact("TestToken").abi, eth).functions.mint
        await sender.send(mint(owner.address, 1_000_000 * 10**6))  # 1,000,000 in supply
        reserves = await deploy(sender, "MockV3Aggregator", 8, 1_200_000 * 10**8)
        feed = Contract(reserves, artifact("MockV3Aggregator").abi, eth)

        async def run() -> object:
            workflow = AsyncWorkflow(
                [RiskMonitorAgent([ProofOfReserve(reserves, usdc)])],
                AsyncWorkflowConfig(auto_store_proofs=False),
                rpc={chain.node.chain_id: chain.rpc}, signer=owner,
            )  # fmt: skip
            return await workflow.run("check", chain_id=chain.node.chain_id)

        covered = await run()
        assert covered.ok, covered.error  # type: ignore[attr-defined]
        await sender.send(feed.functions.updateAnswer(900_000 * 10**8))  # reserves fell
        short = await run()
        assert isinstance(short.error, Veto)  # type: ignore[attr-defined]
        assert "has 1000000 in circulation, over the 900000 of reserves" in str(short.error)  # type: ignore[attr-defined]
