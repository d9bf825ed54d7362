"""web3.py's side of the benchmarks; runs in its own environment (.venv-bench), never ours.

    python benchmarks/_web3_baseline.py balances URL CALLS CONCURRENCY
    python benchmarks/_web3_baseline.py transfers URL COUNT KEY TO

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
    else:
        result = transfers(url, int(sys.argv[3]), sys.argv[4], sys.argv[5])
    print(json.dumps(result))
