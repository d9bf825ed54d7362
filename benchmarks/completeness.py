"""Completeness under faults: how many payouts a run gets done when the network misbehaves.

The seed's table says "Avg. completeness 99.3 % (Ethereum), 99.8 % (Polygon)" without
saying what it counts. Here it is this: 50 single payouts a run (one NativeTransferAgent
each, ``fail_fast=False`` so that payouts are independent), on an embedded devnet per
chain, through the fault-injecting transport with 20 ms latency, 3 % HTTP 503 and 1 %
dropped connections on every request ("mild"; "harsh" is 10 % 503, 3 % drops and 2 %
answers lost after the node got the request); the retry engine and the transaction pipeline do
the rest. Completeness is the share of payouts confirmed on chain; "lost" counts
transactions that reached the chain but that the run did not report (must be 0).

And a crash (issue 15): 1,000 payouts over two devnets ("ethereum", chain 1, and
"polygon", chain 137, each an ``anyio-workflow devnet`` process) paid by
``anyio-workflow run --journal`` in a child process, through three endpoints per chain
(loopback proxies), with 20 % of requests failed by the fault-injecting transport (half
HTTP 503, half dropped connections), the first endpoint of each chain down for the middle
third of the payouts, and the child killed with SIGKILL at half of them and started again
with the same command and key. ``completeness`` is the share of recipients holding exactly
their amount afterwards (goal 1.0), ``duplicates`` the payouts made twice plus transactions
beyond one per payout (goal 0), ``slowdown`` its wall time over the same payouts without
faults, outage or kill (goal <= 1.5; the restart's start-up is part of it).

    python benchmarks/completeness.py            # 6 runs per chain; 1,000 payouts crashed
    python benchmarks/completeness.py --quick    # 2 runs per chain; 200 payouts crashed
    python benchmarks/completeness.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

sys.path.insert(0, str(Path(__file__).parent))
from _payouts import amount, recipient

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import NativeTransferAgent
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.devnet.serve import serve_asgi
from anyio_workflow.evm import LocalSigner, TransactionError
from anyio_workflow.rpc import EthRpc, FaultInjectingTransport, JsonRpcClient
from anyio_workflow.testing import RpcProxy
from anyio_workflow.workflow.config import RetryPolicy

PAYOUTS = 50
PROFILES = {
    "mild": {"http_503": 0.03, "drop": 0.01},
    "harsh": {"http_503": 0.10, "drop": 0.03, "drop_after": 0.02},
}
CHAINS = {1: "ethereum", 137: "polygon"}


async def one_run(chain_id: int, seed: int, rates: dict[str, float]) -> dict[str, int]:
    devnet = EvmDevnet(chain_id=chain_id)
    treasury = LocalSigner("0x" + devnet.accounts[0].key.hex())
    rng = random.Random(seed)
    vendors = ["0x" + rng.randbytes(20).hex() for _ in range(PAYOUTS)]

    def transport() -> FaultInjectingTransport:
        return FaultInjectingTransport(devnet.transport(), latency=0.02, rates=rates, seed=seed)

    workflow = AsyncWorkflow(
        [NativeTransferAgent(v, 10**15 + i, signer=treasury) for i, v in enumerate(vendors)],
        AsyncWorkflowConfig(
            max_workers=16,
            fail_fast=False,
            auto_store_proofs=False,
            retry=RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.5),
        ),
        rpc={chain_id: transport},
        rng=random.Random(seed),
    )
    result = await workflow.run("payouts", chain_id=chain_id)
    reported = {r.hash for r in result}
    for outcome in result.outcomes:
        if isinstance(outcome.error, TransactionError):
            reported.update(outcome.error.hashes)
    async with devnet.client() as client:
        eth = EthRpc(client)
        mined = await eth.get_transaction_count(treasury.address, "latest")
        on_chain = set()
        for number in range(1, await eth.block_number() + 1):
            block = await eth.get_block(number, full=True)
            on_chain.update(tx["hash"] for tx in (block or {}).get("transactions", []))
    paid = sum(1 for r in result if r.status == 1)
    return {"payouts": PAYOUTS, "confirmed": paid, "mined": mined, "on_chain": len(on_chain),
            "lost": len(on_chain - reported), "run_ok": int(result.ok)}  # fmt: skip


async def measure(runs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for profile, rates in PROFILES.items():
        for chain_id, name in CHAINS.items():
            samples = [await one_run(chain_id, seed, rates) for seed in range(runs)]
            payouts = sum(s["payouts"] for s in samples)
            figures[f"{profile}_{name}"] = {
                "runs": runs,
                "completeness_pct": 100 * sum(s["confirmed"] for s in samples) / payouts,
                "runs_fully_complete": sum(s["run_ok"] for s in samples),
                "transactions_on_chain": sum(s["on_chain"] for s in samples),
                "lost_transactions": sum(s["lost"] for s in samples),
            }
    return figures


PAYOUTS_FILE = Path(__file__).with_name("_payouts.py")


def start_devnet(chain_id: int) -> tuple[subprocess.Popen[str], str, str]:
    """An ``anyio-workflow devnet`` process: (process, URL, its first account's key)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "anyio_workflow.cli", "devnet", "--json", "--chain-id",
         str(chain_id)], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    return process, info["url"], info["accounts"][0]["private_key"]


def spawn(env: dict[str, str], journal: Path) -> subprocess.Popen[str]:
    """The paying process; its output goes to files beside the journal (a pipe nobody
    reads until it exits would fill with its receipts and stop it)."""
    command = [sys.executable, "-m", "anyio_workflow.cli", "run", f"{PAYOUTS_FILE}:workflow",
               "--action", "payouts", "--key", "payouts-1", "--journal", str(journal),
               "--json"]  # fmt: skip
    out = journal.with_suffix(".out").open("w")
    err = journal.with_suffix(".err").open("w")
    with out, err:
        return subprocess.Popen(command, stdout=out, stderr=err, text=True,
                                env={**os.environ, **env})  # fmt: skip


async def crash_run(count: int, faulty: bool, scratch: Path) -> dict[str, Any]:
    """One run of ``count`` payouts over both chains: with faults, an outage and a kill
    (``faulty``), or clean. Its wall time and what the chains hold afterwards."""
    devnets = {chain: start_devnet(chain) for chain in CHAINS}
    try:
        async with AsyncExitStack() as stack:
            proxies = {
                chain: [RpcProxy(url) for _ in range(3)] for chain, (_, url, _) in devnets.items()
            }
            endpoints: dict[int, list[str]] = {}
            for chain, three in proxies.items():
                for proxy in three:
                    stack.push_async_callback(proxy.aclose)
                endpoints[chain] = [await stack.enter_async_context(serve_asgi(p)) for p in three]
            eths = {}
            for chain, (_, url, _) in devnets.items():
                eths[chain] = EthRpc(await stack.enter_async_context(JsonRpcClient(url)))
            key = next(iter(devnets.values()))[2]
            payer = LocalSigner(key).address
            env = {"PAYOUT_COUNT": str(count), "PAYOUT_ENDPOINTS": json.dumps(endpoints),
                   "PAYOUT_FAULTS": "0.2" if faulty else "0",
                   "ANYIO_WORKFLOW_PRIVATE_KEY": key}  # fmt: skip
            journal = scratch / f"{'faulty' if faulty else 'clean'}.db"
            started = time.perf_counter()
            child, kills, outage = spawn(env, journal), 0, False
            while child.poll() is None or (faulty and kills == 0):
                if child.poll() is not None:
                    break  # finished before the kill point: reported below
                mined = 0
                for eth in eths.values():
                    mined += await eth.get_transaction_count(payer, "latest")
                if faulty:
                    down = count / 3 <= mined < 2 * count / 3
                    outage |= down
                    for three in proxies.values():
                        three[0].down = down
                    if kills == 0 and mined >= count / 2:
                        child.send_signal(signal.SIGKILL)
                        await anyio.to_thread.run_sync(child.wait)
                        kills += 1
                        child = spawn(env, journal)  # the same command, the same key
                        continue
                await anyio.sleep(0.05)
            await anyio.to_thread.run_sync(child.wait)
            elapsed = time.perf_counter() - started
            out = journal.with_suffix(".out").read_text()
            err = journal.with_suffix(".err").read_text()
            for three in proxies.values():
                three[0].down = False
            exact = over = 0
            for i in range(count):
                chain = sorted(CHAINS)[i % len(CHAINS)]
                held = await eths[chain].get_balance(recipient(i))
                exact += held == amount(i)
                over += max(0, held // amount(i) - 1) if held else 0
            sent = 0
            for eth in eths.values():
                sent += await eth.get_transaction_count(payer, "latest")
        lines = out.strip().splitlines()
        status = json.loads(lines[-1])["status"] if lines else f"exit {child.returncode}"
        return {"seconds": elapsed, "paid_exactly": exact, "paid_twice": over,
                "transactions": sent, "kills": kills, "outage": outage, "status": status,
                "stderr": err[-400:] if child.returncode else ""}  # fmt: skip
    finally:
        for process, _, _ in devnets.values():
            process.send_signal(signal.SIGTERM)
            process.communicate()


async def crash(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        clean = await crash_run(count, False, Path(scratch))
        faulty = await crash_run(count, True, Path(scratch))
    return {
        "crash_payouts": count,
        "completeness": faulty["paid_exactly"] / count,
        "duplicates": faulty["paid_twice"] + max(0, faulty["transactions"] - count),
        "slowdown": faulty["seconds"] / clean["seconds"],
        "crash_clean": clean,
        "crash_faulty": faulty,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs per chain")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures: dict[str, Any] = {"payouts_per_run": PAYOUTS, "fault_rates": PROFILES}
    figures |= anyio.run(measure, 2 if args.quick else 6)
    runs = [key for key in figures if key not in ("payouts_per_run", "fault_rates")]
    figures |= anyio.run(crash, 200 if args.quick else 1000)
    figures["goals"] = (
        {f"{key}.completeness_pct": [">=", 99.3] for key in runs}
        | {f"{key}.lost_transactions": ["==", 0] for key in runs}
        | {"completeness": [">=", 1.0], "duplicates": ["==", 0], "slowdown": ["<=", 1.5]}
    )
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{PAYOUTS} payouts a run; fault rates per request: {PROFILES}")
    for key, f in figures.items():
        if key == "goals":
            continue
        if not isinstance(f, dict) or "runs" not in f:
            continue
        print(f"  {key:<15} completeness {f['completeness_pct']:.1f}%  "
              f"complete runs {f['runs_fully_complete']}/{f['runs']}  "
              f"on chain {f['transactions_on_chain']}  lost {f['lost_transactions']}")  # fmt: skip
    clean, faulty = figures["crash_clean"], figures["crash_faulty"]
    print(
        f"crash: {figures['crash_payouts']} payouts over two devnets, 20 % faults, an "
        f"endpoint down for the middle third, SIGKILL at half and the same command again"
    )
    print(f"  completeness {figures['completeness']:.3f} (goal 1.0)  duplicates "
          f"{figures['duplicates']} (goal 0)  slowdown {figures['slowdown']:.2f}x "
          f"(goal <= 1.5): {faulty['seconds']:.1f} s against {clean['seconds']:.1f} s "
          "clean")  # fmt: skip


if __name__ == "__main__":
    main()
