"""Errors users can catch: one cause reaches the caller as that exception, on both
backends, at every public boundary; several causes stay a group that names them."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from anyio_workflow import AsyncWorkflow, BaseAgent, Role, RunFailed, RunStatus, Task, Veto
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.devnet.serve import serve_asgi
from anyio_workflow.errors import InvalidResponse, RpcError, TransientError, one_error
from anyio_workflow.rpc import EthRpc, HttpTransport, JsonRpcClient


def garbage() -> HttpTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"not": "json-rpc"}')

    return HttpTransport("http://node.test/", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("coalesce", [True, False])
async def test_a_clients_error_is_caught_by_its_class(coalesce: bool) -> None:
    with pytest.raises(InvalidResponse, match="method eth_chainId"):
        async with JsonRpcClient(garbage(), retry=None, coalesce=coalesce) as client:
            await client.request("eth_chainId")


async def test_a_devnet_clients_error_is_caught_by_its_class() -> None:
    devnet = EvmDevnet()
    with pytest.raises(RpcError) as info:
        async with devnet.client() as client:
            await client.request("eth_noSuchMethod")
    assert not isinstance(info.value, BaseExceptionGroup)


async def test_an_error_inside_a_served_devnet_is_caught_by_its_class() -> None:
    devnet = EvmDevnet()
    with pytest.raises(RpcError):
        async with serve_asgi(devnet.app) as url, JsonRpcClient(url) as client:
            await EthRpc(client).call({"to": "0x" + "00" * 20, "data": "0xzz"})


class Fails(BaseAgent):
    role = Role.EXECUTOR

    async def execute(self, task: Task, ctx: Any) -> Any:
        await ctx.eth().call({"to": "0x" + "00" * 20})
        raise TransientError("never reached")


async def test_run_failed_escapes_async_with_workflow_as_itself() -> None:
    devnet = EvmDevnet()
    workflow = AsyncWorkflow([Fails()], rpc={devnet.chain_id: garbage})

    async def run_and_raise() -> None:
        async with workflow:
            result = await workflow.run("x", chain_id=devnet.chain_id)
            result.raise_for_status()

    with pytest.raises(RunFailed) as info:
        await run_and_raise()
    assert isinstance(info.value.__cause__, InvalidResponse)
    assert "unhandled errors" not in str(info.value) and "nursery" not in str(info.value)


class Fanout(BaseAgent):
    """An agent with a task group of its own, one of whose tasks vetoes."""

    role = Role.VALIDATOR

    async def execute(self, task: Task, ctx: Any) -> Any:
        async def check(amount: int) -> None:
            if amount > 10:
                raise Veto(f"amount {amount} is over the limit")
            await anyio.sleep(1)

        async with anyio.create_task_group() as tg:
            for amount in (1, 50):
                tg.start_soon(check, amount)


async def test_an_agents_own_task_group_failure_is_recorded_as_the_one_error() -> None:
    result = await AsyncWorkflow([Fanout()], auto_store_proofs=False).run("x")
    assert result.status is RunStatus.VETOED
    assert isinstance(result.error, Veto)
    assert str(result.error) == "amount 50 is over the limit"


def test_several_failures_stay_a_group_that_names_them() -> None:
    with pytest.raises(ExceptionGroup) as info, one_error():
        raise ExceptionGroup("x", [InvalidResponse("bad answer"), Veto("too much")])
    assert "2 failures: InvalidResponse: bad answer; Veto: too much" in str(info.value)
    assert len(info.value.exceptions) == 2
