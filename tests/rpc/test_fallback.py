"""FallbackTransport against real nodes: killed, slow, rate-limited and wrong-chain primaries."""

from __future__ import annotations

import anyio
import pytest

from anyio_workflow.devnet import Anvil
from anyio_workflow.errors import EndpointsExhausted, WrongChainError
from anyio_workflow.rpc import (
    EthRpc,
    FallbackTransport,
    FaultInjectingTransport,
    HttpTransport,
    JsonRpcClient,
)

from .helpers import ADDRESS, Recording

BALANCE = 10_000 * 10**18


async def many_balances(eth: EthRpc, n: int, *, midway: anyio.Event | None = None) -> list[int]:
    """n balance reads, 8 at a time; sets ``midway`` after a third of them."""
    results: list[int] = []
    limiter = anyio.CapacityLimiter(8)

    async def one() -> None:
        async with limiter:
            results.append(await eth.get_balance(ADDRESS))
            if midway is not None and len(results) == n // 3:
                midway.set()

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    return results


async def test_the_primary_killed_mid_run() -> None:
    async with Anvil() as primary, Anvil() as backup:
        fallback = FallbackTransport(
            [primary.url, backup.url], chain_id=31337, stall_timeout=0.5, request_timeout=5
        )
        async with JsonRpcClient(fallback, retry=None) as client:
            midway = anyio.Event()
            async with anyio.create_task_group() as tg:

                async def kill() -> None:
                    await midway.wait()
                    await primary.stop()

                tg.start_soon(kill)
                results = await many_balances(EthRpc(client), 150, midway=midway)
            assert results == [BALANCE] * 150
            primary_health, backup_health = fallback.health()
            assert primary_health.failures >= 1
            assert backup_health.requests >= 1
            assert fallback.ranked()[0] == backup.url


async def test_a_slow_primary_is_overtaken_and_then_avoided() -> None:
    async with Anvil() as primary, Anvil() as backup:
        slow = FaultInjectingTransport(HttpTransport(primary.url), latency=0.4)
        fast = Recording(HttpTransport(backup.url))
        fallback = FallbackTransport([slow, fast], chain_id=31337, stall_timeout=0.05)
        async with JsonRpcClient(fallback, retry=None) as client:
            eth = EthRpc(client)
            assert await eth.get_balance(ADDRESS) == BALANCE  # won by the backup
            assert fallback.ranked()[0] == backup.url
            before = slow.requests
            for _ in range(5):
                assert await eth.get_balance(ADDRESS) == BALANCE
            assert slow.requests == before  # the backup is now preferred
            assert fast.methods["eth_getBalance"] == 6


@pytest.mark.parametrize("fault", ["http_429", "http_503", "limit", "drop", "garbage", "timeout"])
async def test_a_failing_primary_is_left_at_once(fault: str) -> None:
    async with Anvil() as primary, Anvil() as backup:
        failing = FaultInjectingTransport(
            HttpTransport(primary.url),
            rates={fault: 1.0},  # type: ignore[dict-item]
            hang=0.2,
        )
        fallback = FallbackTransport(
            [failing, backup.url], chain_id=31337, stall_timeout=5, request_timeout=1
        )
        async with JsonRpcClient(fallback, retry=None, coalesce=False) as client:
            eth = EthRpc(client)
            for _ in range(10):
                assert await eth.get_balance(ADDRESS) == BALANCE
        # One failure (its chain check) was enough to rank the backup first for good.
        assert failing.requests == 1
        assert fallback.health()[0].failures == 1
        assert fallback.ranked() == [backup.url, primary.url]


async def test_a_hang_past_the_request_timeout_is_cut_by_the_fallback_itself() -> None:
    async with Anvil() as primary, Anvil() as backup:
        # The primary answers its chain check, then hangs on the balance for 30 s; no stall
        # timer starts the backup (stall_timeout=30): only request_timeout can end it.
        hanging = FaultInjectingTransport(
            HttpTransport(primary.url), on={"eth_getBalance": ["timeout"]}, hang=30
        )
        fallback = FallbackTransport(
            [hanging, backup.url], chain_id=31337, stall_timeout=30, request_timeout=0.5
        )
        async with JsonRpcClient(fallback, retry=None, coalesce=False) as client:
            started = anyio.current_time()
            assert await EthRpc(client).get_balance(ADDRESS) == BALANCE
            elapsed = anyio.current_time() - started
        assert 0.5 <= elapsed < 5
        assert hanging.log == [("eth_chainId", None), ("eth_getBalance", "timeout")]
        assert fallback.health()[0].failures == 1


async def test_repeated_failures_open_the_circuit() -> None:
    async with Anvil() as a, Anvil() as b:
        down = [
            FaultInjectingTransport(HttpTransport(url), rates={"http_503": 1.0})
            for url in (a.url, b.url)
        ]
        fallback = FallbackTransport(down, failure_threshold=2, cooldown=60, stall_timeout=5)
        async with JsonRpcClient(fallback, retry=None, coalesce=False) as client:
            for _ in range(2):
                with pytest.raises(EndpointsExhausted):
                    await client.request("eth_chainId")
            assert all(h.open_until > anyio.current_time() for h in fallback.health())
            assert [t.requests for t in down] == [2, 2]
            # Every circuit is open: only the endpoint that reopens first is tried.
            with pytest.raises(EndpointsExhausted):
                await client.request("eth_chainId")
            assert sum(t.requests for t in down) == 5


async def test_a_node_on_the_wrong_chain_is_never_used() -> None:
    async with Anvil(chain_id=5) as wrong, Anvil() as right:
        recorded = Recording(HttpTransport(wrong.url))
        fallback = FallbackTransport([recorded, right.url], chain_id=31337)
        async with JsonRpcClient(fallback) as client:
            eth = EthRpc(client)
            for _ in range(5):
                assert await eth.chain_id() == 31337
        assert dict(recorded.methods) == {"eth_chainId": 1}
        assert fallback.health()[0].refused is not None
        assert "serves chain 5, expected chain 31337" in str(fallback.health()[0].refused)


async def test_only_wrong_chains_is_a_clear_error() -> None:
    async with (
        Anvil(chain_id=5) as wrong,
        JsonRpcClient(FallbackTransport([wrong.url], chain_id=1)) as client,
    ):
        with pytest.raises(WrongChainError, match="serves chain 5, expected chain 1"):
            await client.request("eth_blockNumber")


async def test_without_a_chain_id_the_first_answer_sets_it() -> None:
    async with Anvil() as first, Anvil(chain_id=137) as other:
        fallback = FallbackTransport([first.url, other.url])
        async with JsonRpcClient(fallback) as client:
            await client.request("eth_blockNumber")
            assert fallback.chain_id == 31337


async def test_every_endpoint_down_is_endpoints_exhausted() -> None:
    async with Anvil() as a, Anvil() as b:
        urls = [a.url, b.url]
    async with JsonRpcClient(FallbackTransport(urls, stall_timeout=0.05), retry=None) as client:
        with pytest.raises(EndpointsExhausted) as info:
            await client.request("eth_chainId")
    assert len(info.value.errors) == 2
    assert info.value.transient
