"""Random transfer sequences keep the books: total balance = start - fees, on both nodes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow.rpc import EthRpc

from ..budget import examples
from ..nodes import Node

ACCOUNTS = 4
transfers = st.lists(
    st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1), st.integers(0, 10**18)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=examples(12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=transfers)
async def test_balances_change_by_amounts_and_fees_only(
    node: Node, plan: list[tuple[int, int, int]]
) -> None:
    accounts = node.accounts[:ACCOUNTS]
    async with node.client() as client:
        eth = EthRpc(client)
        before = [await eth.get_balance(a.address) for a in accounts]
        expected = list(before)
        fees = 0
        for sender, receiver, amount in plan:
            account = accounts[sender]
            tx = {
                "to": accounts[receiver].address, "value": amount, "gas": 21_000,
                "nonce": await eth.get_transaction_count(account.address),
                "chainId": node.chain_id, "maxFeePerGas": 10 * 10**9,
                "maxPriorityFeePerGas": 10**9, "type": 2,
            }  # fmt: skip
            tx_hash = await eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
            receipt = await eth.wait_for_receipt(tx_hash)
            assert receipt is not None
            assert receipt["status"] == 1
            fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
            fees += fee
            expected[sender] -= amount + fee
            expected[receiver] += amount
        after = [await eth.get_balance(a.address) for a in accounts]
    assert after == expected
    assert sum(after) == sum(before) - fees
