"""Completeness under faults: how many payouts a run gets done when the network misbehaves.

The seed's table says "Avg. completeness 99.3 % (Ethereum), 99.8 % (Polygon)" without
saying what it counts. Here it is this: 50 single payouts a run (one NativeTransferAgent
each, ``fail_fast=False`` so that payouts are independent), on an embedded devnet per
chain, through the fault-injecting transport with 20 ms latency, 3 % HTTP 503 and 1 %
dropped connections on every request ("mild"; "harsh" is 10 % 503, 3 % drops and 2 %
answers lost after the node got the request); the retry engine and the transaction pipeline do
the rest. Completeness is the share of payouts confirmed on chain; "lost" counts
transactions that reached the chain but that the run did not report (must be 0).

    python benchmarks/completeness.py            # 6 runs per chain
    python benchmarks/completeness.py --quick    # 2 runs per chain
    python benchmarks/completeness.py --json
"""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

import anyio

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import NativeTransferAgent
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.evm import LocalSigner, TransactionError
from anyio_workflow.rpc import EthRpc, FaultInjectingTransport
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs per chain")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures: dict[str, Any] = {"payouts_per_run": PAYOUTS, "fault_rates": PROFILES}
    figures |= anyio.run(measure, 2 if args.quick else 6)
    runs = [key for key in figures if key not in ("payouts_per_run", "fault_rates")]
    figures["goals"] = {f"{key}.completeness_pct": [">=", 99.3] for key in runs} | {
        f"{key}.lost_transactions": ["==", 0] for key in runs
    }
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


if __name__ == "__main__":
    main()
