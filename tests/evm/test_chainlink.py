"""ChainlinkGasFeed against the project's aggregator contract, on both nodes."""

from __future__ import annotations

from anyio_workflow.contracts import artifact
from anyio_workflow.evm.abi import function
from anyio_workflow.evm.chainlink import ChainlinkGasFeed
from anyio_workflow.rpc import EthRpc

from ..nodes import Node, deploy, transact

SET_ROUND = function("setRound", artifact("MockAggregator").abi)


async def test_fresh_stale_and_bad_rounds(node: Node) -> None:
    async with node.client() as client:
        eth = EthRpc(client)
        feed_address = await deploy(node, eth, "MockAggregator", 2, "Fast Gas / Gwei")
        block = await eth.get_block("latest")
        assert block is not None
        now = block["timestamp"]
        feed = ChainlinkGasFeed(eth, feed_address, node.chain_id, heartbeat=600)

        await transact(node, eth, feed_address, SET_ROUND.encode(2_550, now))  # 25.50 gwei
        price = await feed.fetch()
        assert (price.source, price.wei, price.rejected) == ("chainlink", 25_500_000_000, None)

        await transact(node, eth, feed_address, SET_ROUND.encode(2_550, now - 10_000))
        stale = await feed.fetch()
        assert stale.source == "fee_history"
        assert stale.rejected is not None
        assert "old (heartbeat 600 s)" in stale.rejected
        assert stale.wei > 0

        await transact(node, eth, feed_address, SET_ROUND.encode(-1, now))
        bad = await feed.fetch()
        assert bad.source == "fee_history"
        assert bad.rejected == "answer -1 is not a price"
