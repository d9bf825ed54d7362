"""How fast do transfers go out and get confirmed: our pipeline beside sequential web3.py.

One anvil in automine mode, one run: N ETH transfers sent one after another by web3.py
(build, sign, send_raw_transaction, wait_for_transaction_receipt, in .venv-bench with
coincurve, as its users write it), then N through our TxSender, 32 in flight from one
account (estimate, which is the simulation, fee quote, shared NonceManager, sign, send,
confirm), through a client that gathers calls for 2 ms into one JSON-RPC batch
(``batch_wait``), each on a fresh anvil. Also the local signing rate: eth-account with coincurve,
with eth-keys' pure-Python backend, and our own encoder (anyio_workflow.evm.encoding).

    python benchmarks/tx_throughput.py            # 500 transfers each
    python benchmarks/tx_throughput.py --quick    # 100 transfers each
    python benchmarks/tx_throughput.py --json [--rpc URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _baselines import web3
from _node import anvil_process

from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender
from anyio_workflow.rpc import EthRpc, JsonRpcClient

IN_FLIGHT = 32
BATCH_WAIT = 0.002  # seconds the client gathers calls into one JSON-RPC batch
SIGNING = """
import time
from eth_account import Account
a = Account.create()
tx = dict(to="0x" + "22" * 20, value=1, gas=21000, maxFeePerGas=10**10,
          maxPriorityFeePerGas=10**9, nonce=0, chainId=1, type=2)
n = {n}
t = time.perf_counter()
for i in range(n):
    a.sign_transaction(dict(tx, nonce=i))
print(n / (time.perf_counter() - t))
"""


def our_signing_rate(n: int) -> float:
    signer = LocalSigner("0x" + "11" * 32)
    tx = dict(to="0x" + "22" * 20, value=1, gas=21000, maxFeePerGas=10**10,
              maxPriorityFeePerGas=10**9, nonce=0, chainId=1, type=2)  # fmt: skip
    started = time.perf_counter()
    for i in range(n):
        signer.sign_transaction(dict(tx, nonce=i))
    return n / (time.perf_counter() - started)


def signing_rate(native: bool, n: int) -> float:
    env = dict(os.environ)
    if native:
        env["ECC_BACKEND_CLASS"] = "eth_keys.backends.NativeECCBackend"
    out = subprocess.run(
        [sys.executable, "-c", SIGNING.format(n=n)], env=env, capture_output=True, text=True
    )
    return float(out.stdout)


async def ours(url: str, n: int, key: str, to: str) -> dict[str, Any]:
    async with JsonRpcClient(url, batch_wait=BATCH_WAIT) as client:
        eth = EthRpc(client)
        signer = LocalSigner(key)
        chain_id = await eth.chain_id()
        start = await eth.get_transaction_count(signer.address)
        sender = TxSender(eth, signer, chain_id, poll_interval=0.02)
        limiter = anyio.CapacityLimiter(IN_FLIGHT)
        nonces: list[int] = []

        async def one() -> None:
            async with limiter:
                receipt = await sender.send(TxRequest(to=to, value=1))
                nonces.append(receipt.nonce)

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(one)
        elapsed = time.perf_counter() - started
        end = await eth.get_transaction_count(signer.address, "latest")
    return {
        "tx_per_s": n / elapsed,
        "nonces_ok": sorted(nonces) == list(range(start, start + n)) and end == start + n,
        "replacements": len(sender.journal) - n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 transfers each")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rpc", help="an already running anvil (default: start one)")
    args = parser.parse_args()
    n = 100 if args.quick else 500
    accounts = Anvil().accounts
    to = accounts[9].address
    figures: dict[str, Any] = {"transfers": n, "in_flight": IN_FLIGHT, "batch_wait": BATCH_WAIT}
    # Each side gets a fresh anvil (unless --rpc names one): anvil slows down as its chain
    # grows (300-transfer runs in a row here: 453, 357, 306, 287, 252 tx/s), so whoever
    # went second would pay for the first one's blocks.
    with anvil_process(args.rpc) as url:
        baseline = web3("transfers", url, n, "0x" + accounts[1].key.hex(), to)
        figures["web3py_sequential_tx_per_s"] = baseline["tx_per_s"] if baseline else None
    with anvil_process(args.rpc) as url:
        result = anyio.run(ours, url, n, "0x" + accounts[2].key.hex(), to)
    figures["tx_per_s"] = result["tx_per_s"]
    figures["nonces_ok"] = result["nonces_ok"]
    figures["replacements"] = result["replacements"]
    base = figures["web3py_sequential_tx_per_s"]
    figures["vs_web3py_sequential"] = figures["tx_per_s"] / base if base else None
    signs = 200 if args.quick else 500
    figures["sign_per_s_coincurve"] = signing_rate(False, signs)
    figures["sign_per_s_pure_python"] = signing_rate(True, signs // 10)
    figures["sign_per_s_ours"] = our_signing_rate(signs * 4)
    figures["coincurve_speedup"] = (
        figures["sign_per_s_coincurve"] / figures["sign_per_s_pure_python"]
    )
    figures["ours_vs_eth_account_signing"] = (
        figures["sign_per_s_ours"] / figures["sign_per_s_coincurve"]
    )
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{n} ETH transfers on anvil (automine)")
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {key:<30} {shown}")
    print("goal: vs_web3py_sequential >= 8, nonces_ok true")


if __name__ == "__main__":
    main()
