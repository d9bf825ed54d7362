"""web3.py's side of the benchmarks; runs in its own environment (.venv-bench), never ours.

    python benchmarks/_web3_baseline.py balances URL CALLS CONCURRENCY
    python benchmarks/_web3_baseline.py batches URL CALLS SIZE
    python benchmarks/_web3_baseline.py transfers URL COUNT KEY TO
    python benchmarks/_web3_baseline.py concurrent URL COUNT KEY TO IN_FLIGHT
    python benchmarks/_web3_baseline.py swaps URL COUNT KEY QUOTER ROUTER TOKEN_IN TOKEN_OUT
        AMOUNT ABI_DIR

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


def swaps(url: str, count: int, key: str, quoter: str, router: str, token_in: str,
          token_out: str, amount: int, abi_dir: str) -> dict[str, float]:  # fmt: skip
    """Quote (QuoterV2) and swap (SwapRouter.exactInputSingle, 0.5 % under the quote),
    one after another, as a web3.py user writes it: contract objects, build_transaction,
    sign, send, wait for the receipt. The router is approved beforehand."""
    import pathlib

    from web3 import HTTPProvider, Web3

    def abi(name: str) -> object:
        return json.loads((pathlib.Path(abi_dir) / f"{name}.json").read_text())["abi"]

    w3 = Web3(HTTPProvider(url))
    account = w3.eth.account.from_key(key)
    q = w3.eth.contract(address=Web3.to_checksum_address(quoter), abi=abi("QuoterV2"))
    r = w3.eth.contract(address=Web3.to_checksum_address(router), abi=abi("SwapRouter"))
    token_in, token_out = Web3.to_checksum_address(token_in), Web3.to_checksum_address(token_out)
    started = time.perf_counter()
    for _ in range(count):
        quoted = q.functions.quoteExactInputSingle(
            (token_in, token_out, amount, 3000, 0)).call()[0]  # fmt: skip
        deadline = w3.eth.get_block("latest")["timestamp"] + 300
        params = (token_in, token_out, 3000, account.address, deadline, amount,
                  quoted * 995 // 1000, 0)  # fmt: skip
        tx = r.functions.exactInputSingle(params).build_transaction({
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        })  # fmt: skip
        signed = account.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed.raw_transaction))  # fmt: skip
        assert receipt["status"] == 1
    elapsed = time.perf_counter() - started
    return {"swaps_per_s": count / elapsed}


if __name__ == "__main__":
    kind, url = sys.argv[1], sys.argv[2]
    if kind == "balances":
        result = asyncio.run(balances(url, int(sys.argv[3]), int(sys.argv[4])))
    elif kind == "batches":
        result = asyncio.run(batches(url, int(sys.argv[3]), int(sys.argv[4])))
    elif kind == "concurrent":
        args = sys.argv[3:]
        result = asyncio.run(concurrent(url, int(args[0]), args[1], args[2], int(args[3])))
    elif kind == "swaps":
        a = sys.argv[3:]
        result = swaps(url, int(a[0]), a[1], a[2], a[3], a[4], a[5], int(a[6]), a[7])
    else:
        result = transfers(url, int(sys.argv[3]), sys.argv[4], sys.argv[5])
    print(json.dumps(result))
