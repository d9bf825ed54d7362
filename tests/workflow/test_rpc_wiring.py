"""A workflow's agents reach their chains through ctx.rpc(); rpc_fallback switches nodes."""

from __future__ import annotations

from typing import Any

import pytest

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, RunContext, Task
from anyio_workflow.chains import SOLANA_MAINNET
from anyio_workflow.devnet import Anvil
from anyio_workflow.errors import RpcError
from anyio_workflow.rpc import JsonRpcClient

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


class BalanceReader(BaseAgent):
    def __init__(self) -> None:
        super().__init__()
        self.clients: list[JsonRpcClient] = []

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        self.clients.append(ctx.rpc())
        return await ctx.eth().get_balance(ADDRESS)


def config(fallback: bool) -> AsyncWorkflowConfig:
    return AsyncWorkflowConfig(rpc_fallback=fallback, retry={"attempts": 1})


async def test_rpc_fallback_leaves_a_dead_primary(anvil: Anvil) -> None:
    async with Anvil() as gone:
        dead = gone.url
    wf = AsyncWorkflow([BalanceReader()], config(True), rpc={31337: [dead, anvil.url]})
    result = await wf.run("read", 31337)
    assert list(result) == [10_000 * 10**18]


async def test_without_rpc_fallback_only_the_first_node_is_used(anvil: Anvil) -> None:
    async with Anvil() as gone:
        dead = gone.url
    wf = AsyncWorkflow([BalanceReader()], config(False), rpc={31337: [dead, anvil.url]})
    result = await wf.run("read", 31337)
    assert not result.ok
    assert isinstance(result.error, RpcError)
    assert result.error.transient


async def test_clients_live_across_runs_inside_async_with(anvil: Anvil) -> None:
    reader = BalanceReader()
    async with AsyncWorkflow([reader], rpc={31337: anvil.url}) as wf:
        await wf.run("read", 31337)
        await wf.run("read", 31337)
    assert reader.clients[0] is reader.clients[1]
    await AsyncWorkflow([reader], rpc={31337: anvil.url}).run("read", 31337)
    assert reader.clients[2] is not reader.clients[0]


async def test_an_unknown_chain_is_a_clear_error(anvil: Anvil) -> None:
    result = await AsyncWorkflow([BalanceReader()], rpc={31337: anvil.url}).run("read", 1)
    assert isinstance(result.error, LookupError)
    assert "no endpoint for chain 1" in str(result.error)
    assert "chains: 31337" in str(result.error)


def test_bad_rpc_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="rpc: 0; an EVM chain id is at least 1"):
        AsyncWorkflow([BalanceReader()], rpc={0: "http://x"})
    with pytest.raises(ValueError, match="rpc: 'solana' is not a chain"):
        AsyncWorkflow([BalanceReader()], rpc={"solana": "http://x"})
    both = AsyncWorkflow(
        [BalanceReader()], rpc={"eip155:137": "http://x", SOLANA_MAINNET: "http://y"}
    )
    merged = both.replace(rpc={137: "http://z"})._rpc.targets  # "eip155:137" and 137: one chain
    assert merged == {137: "http://z", SOLANA_MAINNET: "http://y"}
    with pytest.raises(ValueError, match=r"rpc\[1\]: give a URL"):
        AsyncWorkflow([BalanceReader()], rpc={1: []})
