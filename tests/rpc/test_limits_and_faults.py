"""Per-endpoint limits, and the fault injector's reproducible schedules."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anyio_workflow.errors import HttpStatusError, TransportError
from anyio_workflow.rpc import FaultInjectingTransport, HttpTransport, JsonRpcClient, TokenBucket
from anyio_workflow.rpc.transport import Payload, Transport

from .endpoints import read_body


class Echo(Transport):
    """Answers every call with its own id, and keeps count of calls in flight."""

    endpoint = "echo"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.in_flight = 0
        self.peak = 0

    async def send(self, payload: Payload) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await anyio.sleep(self.delay)
            requests = payload if isinstance(payload, list) else [payload]
            answers = [{"jsonrpc": "2.0", "id": r["id"], "result": r["id"]} for r in requests]
            return answers if isinstance(payload, list) else answers[0]
        finally:
            self.in_flight -= 1


class Gauge:
    """An ASGI JSON-RPC endpoint that counts the requests in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            request = json.loads(await read_body(receive))
            await anyio.sleep(0.01)
            body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x1"}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
        finally:
            self.in_flight -= 1


async def test_max_connections_bounds_requests_in_flight() -> None:
    app = Gauge()
    transport = HttpTransport.asgi(app, max_connections=3)
    async with JsonRpcClient(transport, coalesce=False) as client, anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(client.request, "eth_chainId")
    assert app.peak == 3


async def test_the_token_bucket_paces_requests() -> None:
    bucket = TokenBucket(rate=100, burst=5)
    started = anyio.current_time()
    for _ in range(25):
        await bucket.acquire()
    # 5 at once, then 20 more at 100 per second.
    assert anyio.current_time() - started >= 20 / 100 * 0.95


def test_token_bucket_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 40))
async def test_the_same_seed_injects_the_same_faults(seed: int, n: int) -> None:
    rates = {"http_503": 0.2, "drop": 0.1, "rpc_error": 0.1}

    async def outcomes() -> list[str]:
        faulty = FaultInjectingTransport(Echo(), seed=seed, rates=rates)  # type: ignore[arg-type]
        seen = []
        async with JsonRpcClient(faulty, retry=None, coalesce=False) as client:
            for _ in range(n):
                try:
                    await client.request("x")
                    seen.append("ok")
                except Exception as exc:
                    seen.append(type(exc).__name__)
        return seen

    first = await outcomes()
    assert first == await outcomes()
    if n >= 20:  # with 40 % faults, 20 requests without one would mean nothing was injected
        assert any(outcome != "ok" for outcome in first)


async def test_a_schedule_comes_first_and_the_client_retries_transient_faults() -> None:
    faulty = FaultInjectingTransport(Echo(), schedule=["http_503", "drop", None])
    async with JsonRpcClient(faulty, coalesce=False) as client:
        assert await client.request("x") == 1
    assert dict(faulty.injected) == {"http_503": 1, "drop": 1}
    assert faulty.requests == 3


async def test_without_retry_the_fault_is_raised() -> None:
    async with JsonRpcClient(
        FaultInjectingTransport(Echo(), schedule=["http_429"]), retry=None, coalesce=False
    ) as client:
        with pytest.raises(HttpStatusError, match="HTTP 429"):
            await client.request("x")
    async with JsonRpcClient(
        FaultInjectingTransport(Echo(), schedule=["drop_after"]), retry=None, coalesce=False
    ) as client:
        with pytest.raises(TransportError, match="dropped"):
            await client.request("x")


async def test_faults_by_method_hit_the_nth_call_of_that_method_only() -> None:
    faulty = FaultInjectingTransport(
        Echo(), on={"b": [None, "http_503"]}, schedule=["drop"], rates={"http_429": 0.0}
    )
    seen = []
    async with JsonRpcClient(faulty, retry=None, coalesce=False) as client:
        for method in ["b", "a", "b", "a", "b"]:
            try:
                await client.request(method)
                seen.append("ok")
            except Exception as exc:
                seen.append(type(exc).__name__)
    # b's own schedule first (its 2nd call fails); "a" takes the shared schedule's drop.
    assert seen == ["ok", "TransportError", "HttpStatusError", "ok", "ok"]
    assert faulty.log == [("b", None), ("a", "drop"), ("b", "http_503"), ("a", None), ("b", None)]
    with pytest.raises(ValueError, match="unknown kinds"):
        FaultInjectingTransport(Echo(), on={"x": ["meteor"]})  # type: ignore[list-item]


def test_unknown_fault_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown kinds"):
        FaultInjectingTransport(Echo(), rates={"meteor": 0.1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="at most 1"):
        FaultInjectingTransport(Echo(), rates={"drop": 0.7, "http_503": 0.7})
