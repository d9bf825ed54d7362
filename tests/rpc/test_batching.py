"""The client adapts to endpoints that refuse or cap batches, without failing the calls."""

from __future__ import annotations

import anyio
import pytest

from anyio_workflow.devnet import Anvil
from anyio_workflow.devnet.serve import serve_asgi
from anyio_workflow.rpc import HttpTransport, JsonRpcClient

from .endpoints import BatchPolicyProxy
from .helpers import ADDRESS

BALANCE = hex(10_000 * 10**18)


async def coalesced_calls(client: JsonRpcClient, n: int) -> list[str]:
    results: list[str] = []

    async def one() -> None:
        results.append(await client.request("eth_getBalance", [ADDRESS, "latest"]))

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    return results


@pytest.mark.parametrize("mode", ["refuse", "413", "cap"])
async def test_explicit_batches_adapt(anvil: Anvil, mode: str) -> None:
    proxy = BatchPolicyProxy(anvil.url, mode, cap=3)  # type: ignore[arg-type]
    async with serve_asgi(proxy) as url:
        transport = HttpTransport(url)
        async with JsonRpcClient(transport) as client:
            results = await client.batch([("eth_getBalance", [ADDRESS, "latest"])] * 10)
            assert results == [BALANCE] * 10
            learnt = transport.max_batch_size
            if mode == "refuse":
                assert learnt == 1
            elif mode == "cap":
                assert learnt == 3  # exactly what the endpoint answered
            else:
                assert 1 < learnt <= 3  # halved until the endpoint took it
            # Later batches go out at the learnt size straight away.
            proxy.seen.clear()
            assert await client.batch([("eth_chainId", [])] * 7) == ["0x7a69"] * 7
            assert max(proxy.seen) == learnt


@pytest.mark.parametrize("mode", ["refuse", "cap"])
async def test_coalesced_calls_survive_batch_limits(anvil: Anvil, mode: str) -> None:
    proxy = BatchPolicyProxy(anvil.url, mode, cap=4)  # type: ignore[arg-type]
    async with serve_asgi(proxy) as url, JsonRpcClient(url) as client:
        assert await coalesced_calls(client, 40) == [BALANCE] * 40
