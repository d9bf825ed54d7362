"""Against a hostile server on loopback, every call ends in a typed error within its
deadline, and memory stays bounded (issue 14)."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
import pytest

from anyio_workflow import RetryPolicy
from anyio_workflow.errors import HttpStatusError, RequestTimeout, ResponseTooLarge
from anyio_workflow.rpc import HttpTransport, JsonRpcClient
from anyio_workflow.rpc.transport import retry_after

from .hostile import hostile

MIB = 1024 * 1024


@pytest.mark.parametrize("mode", ["drip_headers", "drip_body"])
async def test_a_dripping_node_cannot_hold_a_call_past_its_timeout(mode: str) -> None:
    async with hostile(mode) as (url, server):
        transport = HttpTransport(url, timeout=1.0)
        async with JsonRpcClient(transport, retry=None) as client:
            started = anyio.current_time()
            with pytest.raises(RequestTimeout, match=r"within 1 s"):
                await client.request("eth_chainId")
            assert anyio.current_time() - started < 3
    assert server.requests == 1


async def test_the_clients_deadline_bounds_the_whole_call_retries_included() -> None:
    async with hostile("drip_body") as (url, server):
        transport = HttpTransport(url, timeout=0.6)
        async with JsonRpcClient(transport, request_timeout=1.5) as client:
            started = anyio.current_time()
            with pytest.raises(RequestTimeout, match=r"request_timeout \(1.5 s"):
                await client.request("eth_chainId")
            assert anyio.current_time() - started < 3
    assert server.requests >= 2  # it retried, and the deadline ended the retries


@pytest.mark.parametrize("mode", ["endless", "huge"])
async def test_a_flood_stops_at_max_response_bytes_and_memory_stays_bounded(mode: str) -> None:
    async with hostile(mode) as (url, server):
        transport = HttpTransport(url, max_response_bytes=4 * MIB)
        async with JsonRpcClient(transport, retry=None) as client:
            tracemalloc.start()
            try:
                with pytest.raises(ResponseTooLarge, match="max_response_bytes"):
                    await client.request("eth_chainId")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    assert peak < 4 * MIB + 8 * MIB
    if mode == "huge":  # refused by its Content-Length, before reading it
        assert server.sent < 200 * MIB


def test_the_defaults_bound_every_call() -> None:
    transport = HttpTransport("http://127.0.0.1:9/")
    assert transport.timeout == 10.0 and transport.max_response_bytes == 32 * MIB
    assert JsonRpcClient(transport).request_timeout == 30.0


async def test_retry_after_in_seconds_is_honoured() -> None:
    async with hostile("too_many", retry_after="1") as (url, server), JsonRpcClient(url) as c:
        with pytest.raises(HttpStatusError, match="HTTP 429, retry after 1 s") as info:
            await c.request("eth_chainId")
    assert info.value.retry_after == 1.0
    assert server.requests == 3  # the client's three attempts ...
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # ... each after the pause it asked for


async def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    policy = RetryPolicy(attempts=2)
    async with (
        hostile("too_many", retry_after=when) as (url, server),
        JsonRpcClient(url, retry=policy) as client,
    ):
        with pytest.raises(HttpStatusError, match="HTTP 429"):
            await client.request("eth_chainId")
    assert server.requests == 2
    assert server.times[1] - server.times[0] >= 1.5  # waited for the date, not 0.25 s


def test_retry_after_forms() -> None:
    assert retry_after("5") == 5.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= (retry_after(later) or 0) <= 30
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(earlier) == 0.0


async def test_an_html_error_page_is_a_typed_transient_error() -> None:
    async with hostile("html") as (url, _), JsonRpcClient(url, retry=None) as client:
        with pytest.raises(HttpStatusError, match="HTTP 500") as info:
            await client.request("eth_chainId")
    assert info.value.transient
