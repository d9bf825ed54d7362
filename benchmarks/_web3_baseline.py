"""web3.py's side of the benchmarks; runs in its own environment (.venv-bench), never ours.

    python benchmarks/_web3_baseline.py balances URL CALLS CONCURRENCY
    python benchmarks/_web3_baseline.py batches URL CALLS SIZE
    python benchmarks/_web3_baseline.py transfers URL COUNT KEY TO
    python benchmarks/_web3_baseline.py concurrent URL COUNT KEY TO IN_FLIGHT

prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


async def balances(url: str, calls: int, concurrency: int) -> dict[str, float]:
    from web3 import AsyncHTTPProvider, AsyncWeb3

    w3 = AsyncWeb3(AsyncHTTPProvider(url))  # as it comes
    await w3.eth.get_balance(ADDRESS)
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            await w3.eth.get_balance(ADDRESS)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await w3.provider.disconnect()
    return {"calls_per_s": calls / elapsed}


async def batches(url: str, calls: int, size: int) -> dict[str, float]:
    """The same balance reads through web3.py's own batching: ``size`` to a batch."""
    from web3 import AsyncHTTPProvider, AsyncWeb3

    w3 = AsyncWeb3(AsyncHTTPProvider(url))
    await w3.eth.get_balance(ADDRESS)
    started = time.perf_counter()
    for _ in range(calls // size):
        async with w3.batch_requests() as batch:
            for _ in range(size):
                batch.add(w3.eth.get_balance(ADDRESS))
            results = await batch.async_execute()
        assert len(results) == size
    elapsed = time.perf_counter() - started
    await w3.provider.disconnect()
    return {"calls_per_s": (calls // size) * size / elapsed}


async def concurrent(url: str, count: int, key: str, to: str, in_flight: int) -> dict[str, float]:
    """What a competent web3.py user writes for throughput: asyncio tasks, ``in_flight`` at
    a time, nonces assigned locally from one pending count, fees read once, coincurve
    installed (web3.py signs through eth-keys, which uses it when present)."""
    from web3 import AsyncHTTPProvider, AsyncWeb3

    w3 = AsyncWeb3(AsyncHTTPProvider(url))
    account = w3.eth.account.from_key(key)
    chain_id = await w3.eth.chain_id
    started = time.perf_counter()
    first = await w3.eth.get_transaction_count(account.address, "pending")
    base = (await w3.eth.get_block("latest"))["baseFeePerGas"]
    gate = asyncio.Semaphore(in_flight)

    async def send(nonce: int) -> None:
        async with gate:
            tx = {
                "to": to, "value": 1, "gas": 21_000, "nonce": nonce, "chainId": chain_id,
                "maxFeePerGas": base * 2 + 10**9, "maxPriorityFeePerGas": 10**9,
            }  # fmt: skip
            signed = account.sign_transaction(tx)
            tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
            await w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.02)

    await asyncio.gather(*(send(first + i) for i in range(count)))
    elapsed = time.perf_counter() - started
    await w3.provider.disconnect()
    return {"tx_per_s": count / elapsed}


def transfers(url: str, count: int, key: str, to: str) -> dict[str, float]:
    from web3 import HTTPProvider, Web3

    w3 = Web3(HTTPProvider(url))
    account = w3.eth.account.from_key(key)
    chain_id = w3.eth.chain_id
    started = time.perf_counter()
    for _ in range(count):  # build, sign, send, wait: as its users write it
        nonce = w3.eth.get_transaction_count(account.address, "pending")
        base = w3.eth.get_block("latest")["baseFeePerGas"]
        tx = {
            "to": to, "value": 1, "gas": 21_000, "nonce": nonce, "chainId": chain_id,
            "maxFeePerGas": base * 2 + 10**9, "maxPriorityFeePerGas": 10**9,
        }  # fmt: skip
        signed = account.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        w3.eth.wait_for_transaction_receipt(tx_hash)
    elapsed = time.perf_counter() - started
    return {"tx_per_s": count / elapsed}


if __name__ == "__main__":
    kind, url = sys.argv[1], sys.argv[2]
    if kind == "balances":
        result = asyncio.run(balances(url, int(sys.argv[3]), int(sys.argv[4])))
    elif kind == "batches":
        result = asyncio.run(batches(url, int(sys.argv[3]), int(sys.argv[4])))
    elif kind == "concurrent":
        args = sys.argv[3:]
        result = asyncio.run(concurrent(url, int(args[0]), args[1], args[2], int(args[3])))
    else:
        result = transfers(url, int(sys.argv[3]), sys.argv[4], sys.argv[5])
    print(json.dumps(result))
