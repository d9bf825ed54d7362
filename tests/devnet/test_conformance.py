"""The embedded devnet answers as anvil does: same methods, same shapes, same errors.

Differences that remain are listed in docs/devnet.md; each test here holds on both.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from anyio_workflow.errors import ExecutionReverted, InvalidParams, JsonRpcError, MethodNotFound
from anyio_workflow.rpc import EthRpc, JsonRpcClient

from ..nodes import Node
from ..rpc.helpers import error_string, reverting_init_code

ETHER = 10**18
RECEIPT_KEYS = {
    "blockHash", "blockNumber", "contractAddress", "cumulativeGasUsed", "effectiveGasPrice",
    "from", "gasUsed", "logs", "logsBloom", "status", "to", "transactionHash",
    "transactionIndex", "type",
}  # fmt: skip
TX_KEYS = {
    "blockHash", "blockNumber", "chainId", "from", "gas", "hash", "input", "maxFeePerGas",
    "maxPriorityFeePerGas", "nonce", "r", "s", "to", "transactionIndex", "type", "value",
}  # fmt: skip
BLOCK_KEYS = {
    "baseFeePerGas", "gasLimit", "gasUsed", "hash", "logsBloom", "miner", "number",
    "parentHash", "stateRoot", "timestamp", "transactions",
}  # fmt: skip
TOPIC = "0x" + "ab" * 32


def transfer(
    node: Node, sender: LocalAccount, to: str, value: int, nonce: int, **fields: Any
) -> bytes:
    tx = {
        "to": to, "value": value, "gas": 21_000, "nonce": nonce, "chainId": node.chain_id,
        "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2, **fields,
    }  # fmt: skip
    raw: bytes = sender.sign_transaction(tx).raw_transaction
    return raw


async def test_identity(node: Node) -> None:
    async with node.client() as client:
        assert await client.request("eth_chainId") == hex(node.chain_id)
        assert await client.request("net_version") == str(node.chain_id)
        assert isinstance(await client.request("web3_clientVersion"), str)
        assert await client.request("eth_blockNumber") == "0x0"


async def test_balances_nonces_and_code(node: Node) -> None:
    alice = node.accounts[0].address
    async with node.client() as client:
        eth = EthRpc(client)
        assert await eth.get_balance(alice) == 10_000 * ETHER
        assert await eth.get_transaction_count(alice, "latest") == 0
        assert await eth.get_transaction_count(alice, "pending") == 0
        assert await eth.get_code(alice) == b""
        assert await eth.gas_price() > 0
        assert await eth.max_priority_fee_per_gas() >= 0


async def test_a_transfer_from_send_to_receipt(node: Node) -> None:
    alice, bob = node.accounts[:2]
    async with node.client() as client:
        eth = EthRpc(client)
        tx_hash = await eth.send_raw_transaction(transfer(node, alice, bob.address, ETHER, 0))
        receipt = await eth.wait_for_receipt(tx_hash)
        assert receipt is not None
        assert set(receipt) >= RECEIPT_KEYS
        assert receipt["status"] == 1
        assert receipt["gasUsed"] == 21_000
        assert receipt["blockNumber"] == 1
        assert receipt["transactionHash"] == tx_hash
        tx = await eth.get_transaction(tx_hash)
        assert tx is not None
        assert set(tx) >= TX_KEYS
        assert (tx["nonce"], tx["value"], tx["type"]) == (0, ETHER, 2)
        block = await eth.get_block(1, full=False)
        assert block is not None
        assert set(block) >= BLOCK_KEYS
        assert block["transactions"] == [tx_hash]
        full = await eth.get_block("latest", full=True)
        assert full is not None
        assert full["transactions"][0]["hash"] == tx_hash
        fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        assert await eth.get_balance(bob.address) == 10_001 * ETHER
        assert await eth.get_balance(alice.address) == 9_999 * ETHER - fee
        assert await eth.get_transaction_count(alice.address) == 1


async def test_unknown_things_are_null(node: Node) -> None:
    async with node.client() as client:
        eth = EthRpc(client)
        assert await eth.get_transaction("0x" + "11" * 32) is None
        assert await eth.get_transaction_receipt("0x" + "11" * 32) is None
        assert await eth.get_block(10**6) is None


async def test_reverts_carry_their_data(node: Node) -> None:
    code = reverting_init_code(error_string("vault is locked"))
    async with node.client() as client:
        eth = EthRpc(client)
        with pytest.raises(ExecutionReverted) as call:
            await eth.call({"data": code})
        assert call.value.code == 3
        assert call.value.reason == "vault is locked"
        with pytest.raises(ExecutionReverted) as estimate:
            await eth.estimate_gas({"from": node.accounts[0].address, "data": code})
        assert estimate.value.reason == "vault is locked"


async def test_estimate_and_call(node: Node) -> None:
    alice, bob = node.accounts[:2]
    async with node.client() as client:
        eth = EthRpc(client)
        plain = {"from": alice.address, "to": bob.address, "value": hex(1)}
        assert await eth.estimate_gas(plain) == 21_000
        assert await eth.call({"to": bob.address, "data": "0x"}) == b""


async def test_fee_history(node: Node) -> None:
    alice, bob = node.accounts[:2]
    async with node.client() as client:
        eth = EthRpc(client)
        for nonce in range(3):
            tx_hash = await eth.send_raw_transaction(transfer(node, alice, bob.address, 1, nonce))
            await eth.wait_for_receipt(tx_hash)
        history = await eth.fee_history(3, "latest", [25, 75])
        assert history.oldest_block == 1
        assert len(history.base_fee_per_gas) == 4
        assert len(history.gas_used_ratio) == 3
        assert [len(row) for row in history.reward] == [2, 2, 2]
        assert all(row == (10**9, 10**9) for row in history.reward)  # every tip was 1 gwei
        block = await eth.get_block(3)
        assert block is not None
        assert history.base_fee_per_gas[-2] == block["baseFeePerGas"]


async def test_logs(node: Node) -> None:
    # Init code that emits LOG1(TOPIC) with no data and deploys nothing.
    init = "0x7f" + TOPIC[2:] + "60006000a100"
    alice = node.accounts[0]
    tx = {
        "data": init, "value": 0, "gas": 100_000, "nonce": 0, "chainId": node.chain_id,
        "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
    }  # fmt: skip
    async with node.client() as client:
        eth = EthRpc(client)
        tx_hash = await eth.send_raw_transaction(alice.sign_transaction(tx).raw_transaction)
        receipt = await eth.wait_for_receipt(tx_hash)
        assert receipt is not None
        logs = await eth.get_logs({"fromBlock": "0x0", "toBlock": "latest"})
        assert len(logs) == 1
        assert logs[0]["topics"] == [TOPIC]
        assert logs[0]["address"].lower() == receipt["contractAddress"].lower()
        assert logs[0]["transactionHash"] == tx_hash
        assert logs[0]["blockNumber"] == 1
        assert logs == receipt["logs"]
        assert await eth.get_logs({"fromBlock": "0x0", "topics": ["0x" + "cd" * 32]}) == []


async def test_batches(node: Node) -> None:
    async with node.client() as client:
        results = await client.batch(
            [("eth_chainId", []), ("eth_blockNumber", []), ("nope_nope", [])],
            return_exceptions=True,
        )
    assert results[:2] == [hex(node.chain_id), "0x0"]
    assert isinstance(results[2], MethodNotFound)


async def test_rejections(node: Node) -> None:
    alice, bob = node.accounts[:2]
    async with node.client() as client:
        eth = EthRpc(client)
        await eth.wait_for_receipt(
            await eth.send_raw_transaction(transfer(node, alice, bob.address, 1, 0))
        )
        stale = transfer(node, alice, bob.address, 2, 0)
        with pytest.raises(JsonRpcError, match="nonce too low"):
            await eth.send_raw_transaction(stale)
        wrong_chain = transfer(node, alice, bob.address, 1, 1, chainId=node.chain_id + 1)
        with pytest.raises(JsonRpcError):
            await eth.send_raw_transaction(wrong_chain)
        assert await eth.get_transaction_count(alice.address) == 1


async def test_manual_mining(node: Node) -> None:
    alice, bob = node.accounts[:2]
    async with node.client() as client:
        eth = EthRpc(client)
        await client.request("evm_setAutomine", [False])
        tx_hash = await eth.send_raw_transaction(transfer(node, alice, bob.address, 1, 0))
        assert await eth.get_transaction_receipt(tx_hash) is None
        assert await eth.get_transaction_count(alice.address, "pending") == 1
        assert await eth.get_transaction_count(alice.address, "latest") == 0
        # The same bytes again are "already known", which counts as success.
        assert await eth.send_raw_transaction(transfer(node, alice, bob.address, 1, 0)) == tx_hash
        await client.request("evm_mine", [])
        receipt = await eth.wait_for_receipt(tx_hash)
        assert receipt is not None
        assert receipt["status"] == 1
        await client.request("evm_setAutomine", [True])


async def test_unknown_methods(node: Node) -> None:
    client: JsonRpcClient
    async with node.client() as client:
        with pytest.raises(MethodNotFound):
            await client.request("eth_doesNotExist")


async def test_invalid_params_are_minus_32602(node: Node) -> None:
    async with node.client() as client:
        for method, params in (
            ("eth_getBalance", ["0x12", "latest"]),
            ("eth_getTransactionCount", ["not an address", "latest"]),
        ):
            with pytest.raises(InvalidParams) as info:
                await client.request(method, params)
            assert info.value.code == -32602, (node.kind, method)


async def test_a_transaction_that_can_never_succeed_is_a_permanent_answer(node: Node) -> None:
    poor = Account.from_key("0x" + "77" * 32)  # holds nothing on either node
    signed = poor.sign_transaction(
        {"to": poor.address, "value": 10**18, "gas": 21_000, "nonce": 0,
         "chainId": node.chain_id, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
         "type": 2}
    )  # fmt: skip
    async with node.client() as client:
        with pytest.raises(JsonRpcError) as info:
            await EthRpc(client).send_raw_transaction(signed.raw_transaction)
    assert not info.value.transient, (node.kind, info.value)
    assert "insufficient funds" in str(info.value).lower()
