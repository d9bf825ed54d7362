"""One suite of node-behaviour tests, run against the embedded devnet and against anvil."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from anyio_workflow.contracts import artifact
from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.evm import to_checksum
from anyio_workflow.rpc import EthRpc, JsonRpcClient


@dataclass
class Node:
    kind: str
    chain_id: int
    accounts: list[LocalAccount]
    client: Callable[[], JsonRpcClient]


NODES = ["devnet", "devnet-py-evm", "anvil"]
"""The embedded devnet on revm (its default), on py-evm, and anvil."""


def _devnet(kind: str) -> EvmDevnet:
    return EvmDevnet(backend="py-evm" if kind == "devnet-py-evm" else "revm")


@pytest.fixture(params=NODES)
async def node(request: pytest.FixtureRequest) -> AsyncIterator[Node]:
    if request.param != "anvil":
        devnet = _devnet(request.param)
        yield Node(request.param, devnet.chain_id, devnet.accounts, devnet.client)
    else:
        async with Anvil() as anvil:
            yield Node("anvil", anvil.chain_id, anvil.accounts, lambda: JsonRpcClient(anvil.url))


@dataclass
class Chain:
    """A node and what ``AsyncWorkflow(rpc={chain_id: ...})`` takes to reach it."""

    node: Node
    rpc: Any
    url: str | None


@pytest.fixture(params=NODES)
async def chain(request: pytest.FixtureRequest) -> AsyncIterator[Chain]:
    if request.param != "anvil":
        devnet = _devnet(request.param)
        node = Node(request.param, devnet.chain_id, devnet.accounts, devnet.client)
        yield Chain(node, devnet.transport, None)
    else:
        async with Anvil() as anvil:
            node = Node("anvil", anvil.chain_id, anvil.accounts, lambda: JsonRpcClient(anvil.url))
            yield Chain(node, anvil.url, anvil.url)


async def deploy(node: Node, eth: EthRpc, name: str, *args: object) -> str:
    """Deploy the project's compiled contract ``name`` from the node's first account."""
    deployer = node.accounts[0]
    tx = {
        "data": artifact(name).deploy_data(*args), "value": 0, "gas": 3_000_000,
        "nonce": await eth.get_transaction_count(deployer.address), "chainId": node.chain_id,
        "maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
    }  # fmt: skip
    tx_hash = await eth.send_raw_transaction(deployer.sign_transaction(tx).raw_transaction)
    receipt = await eth.wait_for_receipt(tx_hash)
    assert receipt["status"] == 1, receipt
    address: str = to_checksum(receipt["contractAddress"])
    return address


async def transact(
    node: Node, eth: EthRpc, to: str | None, data: bytes, sender: int = 0
) -> dict[str, Any]:
    """Send a contract call (or, ``to=None``, a creation) from one of the node's accounts
    and wait for its receipt."""
    account = node.accounts[sender]
    tx = {
        "to": to, "data": "0x" + data.hex(), "value": 0, "gas": 500_000,
        "nonce": await eth.get_transaction_count(account.address), "chainId": node.chain_id,
        "maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
    }  # fmt: skip
    if to is None:
        del tx["to"]
    tx_hash = await eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return await eth.wait_for_receipt(tx_hash)
