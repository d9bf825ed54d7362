"""One suite of node-behaviour tests, run against the embedded devnet and against anvil."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.rpc import JsonRpcClient


@dataclass
class Node:
    kind: str
    chain_id: int
    accounts: list[LocalAccount]
    client: Callable[[], JsonRpcClient]


@pytest.fixture(params=["devnet", "anvil"])
async def node(request: pytest.FixtureRequest) -> AsyncIterator[Node]:
    if request.param == "devnet":
        devnet = EvmDevnet()
        yield Node("devnet", devnet.chain_id, devnet.accounts, devnet.client)
    else:
        async with Anvil() as anvil:
            yield Node("anvil", anvil.chain_id, anvil.accounts, lambda: JsonRpcClient(anvil.url))
