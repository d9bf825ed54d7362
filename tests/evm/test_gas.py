"""Fee quotes from fee history: strategies, chain tip floors, caps, custom and legacy."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.evm.gas import CustomFees, FeeOracle
from anyio_workflow.rpc import EthRpc, JsonRpcClient

from ..budget import examples

GWEI = 10**9


async def busy(devnet: EvmDevnet, tips: list[int]) -> None:
    """A few blocks with transactions paying the given tips."""
    sender = devnet.accounts[0]
    async with devnet.client() as client:
        eth = EthRpc(client)
        for nonce, tip in enumerate(tips):
            tx = {
                "to": devnet.accounts[1].address, "value": 1, "gas": 21_000, "nonce": nonce,
                "chainId": devnet.chain_id, "maxFeePerGas": 100 * GWEI + tip,
                "maxPriorityFeePerGas": tip, "type": 2,
            }  # fmt: skip
            await eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)


async def test_strategies_are_ordered_and_follow_the_market() -> None:
    devnet = EvmDevnet()
    await busy(devnet, [1 * GWEI, 2 * GWEI, 3 * GWEI, 5 * GWEI, 8 * GWEI])
    async with devnet.client() as client:
        oracle = FeeOracle(EthRpc(client), devnet.chain_id)
        eco, optimal, fast = [await oracle.quote(s) for s in ("eco", "optimal", "fast")]  # type: ignore[arg-type]
    assert eco.max_fee_per_gas <= optimal.max_fee_per_gas <= fast.max_fee_per_gas
    assert eco.max_priority_fee_per_gas <= optimal.max_priority_fee_per_gas
    assert optimal.max_priority_fee_per_gas < fast.max_priority_fee_per_gas
    assert optimal.max_priority_fee_per_gas in {1 * GWEI, 2 * GWEI, 3 * GWEI, 5 * GWEI, 8 * GWEI}
    assert optimal.max_fee_per_gas == 2 * optimal.base_fee + optimal.max_priority_fee_per_gas
    assert eco.max_fee_per_gas == eco.base_fee * 5 // 4 + eco.max_priority_fee_per_gas
    assert all(q.includable and not q.capped for q in (eco, optimal, fast))
    assert optimal.fields == {
        "maxFeePerGas": optimal.max_fee_per_gas,
        "maxPriorityFeePerGas": optimal.max_priority_fee_per_gas,
    }


async def test_polygon_tips_never_go_under_its_floor() -> None:
    devnet = EvmDevnet(chain_id=137)
    await busy(devnet, [GWEI, GWEI])
    async with devnet.client() as client:
        quote = await FeeOracle(EthRpc(client), 137).quote("eco")
    assert quote.max_priority_fee_per_gas == 30 * GWEI


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=st.integers(0, 50 * GWEI), strategy=st.sampled_from(["eco", "optimal", "fast"]))
async def test_a_fee_cap_is_never_exceeded(cap: int, strategy: str) -> None:
    devnet = EvmDevnet()
    async with devnet.client() as client:
        oracle = FeeOracle(EthRpc(client), devnet.chain_id)
        free = await oracle.quote(strategy)  # type: ignore[arg-type]
        quote = await oracle.quote(strategy, cap=cap)  # type: ignore[arg-type]
    assert quote.max_fee_per_gas <= cap
    assert quote.max_priority_fee_per_gas <= quote.max_fee_per_gas
    assert quote.capped == (free.max_fee_per_gas > cap)
    assert quote.includable == (quote.max_fee_per_gas >= quote.base_fee)


async def test_custom_fees() -> None:
    devnet = EvmDevnet()
    async with devnet.client() as client:
        eth = EthRpc(client)
        fixed = FeeOracle(eth, devnet.chain_id, custom=CustomFees(7 * GWEI, 2 * GWEI))
        quote = await fixed.quote("custom")
        assert (quote.max_fee_per_gas, quote.max_priority_fee_per_gas) == (7 * GWEI, 2 * GWEI)

        async def double(base_fee: int) -> tuple[int, int]:
            return 2 * base_fee + 1, 1

        computed = await FeeOracle(eth, devnet.chain_id, custom=CustomFees(compute=double)).quote(
            "custom"
        )
        assert computed.max_fee_per_gas == 2 * computed.base_fee + 1
        with pytest.raises(ValueError, match="needs CustomFees"):
            await FeeOracle(eth, devnet.chain_id).quote("custom")


async def test_a_legacy_chain_uses_gas_price() -> None:
    async with (
        Anvil(extra_args=("--hardfork", "berlin")) as node,
        JsonRpcClient(node.url) as client,
    ):
        eth = EthRpc(client)
        quote = await FeeOracle(eth, node.chain_id).quote("fast")
        price = await eth.gas_price()
    assert quote.legacy
    assert quote.max_fee_per_gas == price * 5 // 4
    assert quote.fields == {"gasPrice": quote.max_fee_per_gas}
