"""How many JSON-RPC calls per second does our client make, beside raw httpx and web3.py?

One anvil, one run: eth_getBalance calls at concurrency 1 and 64 through our client
(asyncio and trio, coalescing on and off), through raw httpx (one AsyncClient, one POST per
call, a pool sized to the concurrency, and a pool of 8 connections as our transport has),
through web3.py's AsyncWeb3(AsyncHTTPProvider) as it comes and through web3.py's own
``batch_requests()`` 64 at a time (in .venv-bench, never our dependency); then explicit
batches of 100 through our client and raw httpx, the ceiling for coalescing. Every
variant runs once per round, interleaved, web3.py's too; each figure is the median.
Prints calls per second and our ratio to each baseline.

    python benchmarks/rpc_throughput.py             # 5,000 calls per variant
    python benchmarks/rpc_throughput.py --quick     # 1,000 calls per variant
    python benchmarks/rpc_throughput.py --json [--rpc URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _baselines import bench_python, web3
from _node import anvil_process

from anyio_workflow.rpc import JsonRpcClient

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
GOALS = {  # ours over theirs, at least
    "vs_web3py_c64": 15,
    "uncoalesced_vs_raw_httpx_c64": 1.5,
    "vs_raw_httpx_c1": 0.9,
    "batch_vs_raw_httpx_batch": 0.9,
    "trio_vs_asyncio": 0.9,
    "coalesced_vs_explicit_batch": 0.7,
}
PARAMS = [ADDRESS, "latest"]


async def pool(calls: int, concurrency: int, call: Callable[[int], Awaitable[Any]]) -> float:
    """Calls per second of ``call`` made ``calls`` times by ``concurrency`` workers."""
    remaining = iter(range(calls))

    async def worker() -> None:
        for i in remaining:
            await call(i)

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return calls / (time.perf_counter() - started)


async def ours(url: str, calls: int, concurrency: int, coalesce: bool) -> float:
    async with JsonRpcClient(url, coalesce=coalesce) as client:
        await client.request("eth_getBalance", PARAMS)
        return await pool(calls, concurrency, lambda _: client.request("eth_getBalance", PARAMS))


async def raw(url: str, calls: int, concurrency: int, pool_size: int | None = None) -> float:
    size = pool_size or concurrency
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    async with httpx.AsyncClient(limits=limits) as client:

        async def call(i: int) -> None:
            body = {"jsonrpc": "2.0", "id": i, "method": "eth_getBalance", "params": PARAMS}
            answer = await client.post(url, json=body)
            answer.json()["result"]

        await call(0)
        return await pool(calls, concurrency, call)


async def ours_batches(url: str, calls: int, size: int = 100) -> float:
    async with JsonRpcClient(url, coalesce=False) as client:
        started = time.perf_counter()
        for _ in range(calls // size):
            await client.batch([("eth_getBalance", PARAMS)] * size)
        return calls / (time.perf_counter() - started)


async def raw_batches(url: str, calls: int, size: int = 100) -> float:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for _ in range(calls // size):
            body = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_getBalance", "params": PARAMS}
                for i in range(size)
            ]
            answers = (await client.post(url, json=body)).json()
            [a["result"] for a in answers]
        return calls / (time.perf_counter() - started)


class Rounds:
    """Runs every variant once per round, interleaved, so that drift in the machine's speed
    falls on all of them alike; each figure is the median over the rounds."""

    def __init__(self) -> None:
        self.variants: list[tuple[str, str | None, Callable[..., Any], tuple[Any, ...]]] = []

    def add(self, key: str, backend: str | None, func: Callable[..., Any], *args: Any) -> None:
        """A variant: an async function run on ``backend``, or (``backend=None``) a plain
        function, such as one that measures web3.py in its own process."""
        self.variants.append((key, backend, func, args))

    def run(self, rounds: int) -> dict[str, float]:
        seen: dict[str, list[float]] = {key: [] for key, *_ in self.variants}
        for _ in range(rounds):
            for key, backend, func, args in self.variants:
                if backend is None:
                    seen[key].append(func(*args))
                else:
                    seen[key].append(anyio.run(func, *args, backend=backend))
        return {key: statistics.median(values) for key, values in seen.items()}


def web3_calls_per_s(*args: object) -> float:
    result = web3(*args)
    assert result is not None
    return float(result["calls_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 calls per variant")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rpc", help="an already running node (default: start anvil)")
    parser.add_argument("--no-web3", action="store_true", help="skip the web3.py baseline")
    args = parser.parse_args()
    calls = 1_000 if args.quick else 5_000
    rounds = 1 if args.quick else 5
    cps: dict[str, float | None] = {}
    with anvil_process(args.rpc) as url:
        rounds_ = Rounds()
        rounds_.add("raw_httpx_pool8_c64", "asyncio", raw, url, calls, 64, 8)
        if not args.no_web3 and bench_python() is not None:
            for c in (1, 64):
                rounds_.add(f"web3py_c{c}", None, web3_calls_per_s, "balances", url, calls, c)
            rounds_.add("web3py_batch64", None, web3_calls_per_s, "batches", url, calls * 5, 64)
        for c in (1, 64):
            rounds_.add(f"raw_httpx_c{c}", "asyncio", raw, url, calls, c)
            for backend in ("asyncio", "trio"):
                for coalesce in (True, False):
                    key = f"ours_{backend}_{'coalesced' if coalesce else 'uncoalesced'}_c{c}"
                    # Coalesced at 64 is fast: more calls, so that the timing means something.
                    n = calls * 5 if coalesce and c > 1 else calls
                    rounds_.add(key, backend, ours, url, n, c, coalesce)
        # Batches are fast too: ten times the calls.
        rounds_.add("raw_httpx_batch100", "asyncio", raw_batches, url, calls * 10)
        for backend in ("asyncio", "trio"):
            rounds_.add(f"ours_{backend}_batch100", backend, ours_batches, url, calls * 10)
        # 64 calls in flight can make batches of 64 at most: the ceiling at that size.
        rounds_.add("ours_asyncio_batch64", "asyncio", ours_batches, url, calls * 64 // 10, 64)
        cps.update(rounds_.run(rounds))

    def ratio(a: str, b: str) -> float | None:
        x, y = cps.get(a), cps.get(b)
        return x / y if x is not None and y else None

    figures: dict[str, Any] = {
        "calls_per_variant": calls,
        "calls_per_s": cps,
        "vs_web3py_c64": ratio("ours_asyncio_coalesced_c64", "web3py_c64"),
        "vs_web3py_c64_trio": ratio("ours_trio_coalesced_c64", "web3py_c64"),
        "vs_web3py_batch_c64": ratio("ours_asyncio_coalesced_c64", "web3py_batch64"),
        "uncoalesced_vs_web3py_c64": ratio("ours_asyncio_uncoalesced_c64", "web3py_c64"),
        "uncoalesced_vs_raw_httpx_pool8_c64": ratio(
            "ours_asyncio_uncoalesced_c64", "raw_httpx_pool8_c64"
        ),
        "coalesced_vs_explicit_batch": ratio("ours_asyncio_coalesced_c64", "ours_asyncio_batch100"),
        "coalesced_vs_explicit_batch64": ratio(
            "ours_asyncio_coalesced_c64", "ours_asyncio_batch64"
        ),
        "uncoalesced_vs_raw_httpx_c64": ratio("ours_asyncio_uncoalesced_c64", "raw_httpx_c64"),
        "vs_raw_httpx_c1": ratio("ours_asyncio_uncoalesced_c1", "raw_httpx_c1"),
        "coalesced_vs_raw_httpx_c1": ratio("ours_asyncio_coalesced_c1", "raw_httpx_c1"),
        "batch_vs_raw_httpx_batch": ratio("ours_asyncio_batch100", "raw_httpx_batch100"),
        "trio_vs_asyncio": ratio("ours_trio_coalesced_c64", "ours_asyncio_coalesced_c64"),
        "trio_vs_asyncio_uncoalesced_c64": ratio(
            "ours_trio_uncoalesced_c64", "ours_asyncio_uncoalesced_c64"
        ),
    }
    figures["goals"] = {key: [">=", goal] for key, goal in GOALS.items()}
    # Not met (0.51x in full runs; docs/benchmarks.md): 64 callers gathered into batches
    # against batches of 100 built by hand. Quick runs measure 0.33-0.48, around half the
    # goal, so the alarm is a regression floor instead.
    figures["alarm_at"] = {"coalesced_vs_explicit_batch": [">=", 0.25]}
    if args.json:
        print(json.dumps(figures))
        return
    print(f"eth_getBalance, {calls} calls per variant, calls per second:")
    for key, value in cps.items():
        print(f"  {key:<36} {'n/a' if value is None else f'{value:>9.0f}'}")
    print("ratios (ours / theirs):")
    for key, value in figures.items():
        if key in ("calls_per_variant", "calls_per_s", "goals"):
            continue
        goal = f"  (goal >= {GOALS[key]})" if key in GOALS else ""
        print(f"  {key:<36} {'n/a' if value is None else f'{value:>8.2f}x'}{goal}")


if __name__ == "__main__":
    main()
