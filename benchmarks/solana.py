"""Solana transfers, and one run across three chains.

1. 200 SOL transfers (1,000,000 lamports each, to fresh addresses) on the embedded Solana
   devnet served on loopback (``anyio-workflow devnet --solana``, its own process): our
   pipeline (``SolanaSender``: simulation, compute budget, priority fee, send, confirm;
   32 in flight, polls every 20 ms) against the same transfers built with solders and
   sent one after another with solana-py (``send_transaction``, ``confirm_transaction``
   polling every 20 ms; in .venv-bench-solana). Keys: ``transfers_per_s``,
   ``vs_solana_py_sequential`` (goal >= 8).
2. The demo's shape: payouts on "ethereum" and "polygon" (two EVM devnet processes) and
   on Solana, as one ``AsyncWorkflow`` run, against the same payouts run chain by chain,
   one run after another, each request 20 ms longer as a hosted node's round trip makes
   it (medians of 5 interleaved rounds, after a warm-up). Key:
   ``multichain_vs_sequential`` (goal >= 2.5); ``multichain_no_latency_vs_sequential``
   is the same on the bare devnets, where there is no latency to hide.
3. Packing: the same SOL payouts as one ``SolanaPayoutAgent`` (as many transfers to a
   transaction as 1,232 bytes allow) against one ``SolTransferAgent`` each (32 at once),
   each a whole run. Keys: ``packed_payouts_per_s``, ``packed_vs_one_per_transaction``
   (no goal: a measurement, not a promise).

    python benchmarks/solana.py            # 200 transfers; 60 payouts per chain
    python benchmarks/solana.py --quick    # 100 transfers; 20 payouts per chain
    python benchmarks/solana.py --json
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
from solders.keypair import Keypair

sys.path.insert(0, str(Path(__file__).parent))
from _baselines import BASELINE_TIMEOUT, baseline_python

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import NativeTransferAgent, SolanaPayoutAgent, SolTransferAgent
from anyio_workflow.evm import LocalSigner
from anyio_workflow.rpc import JsonRpcClient
from anyio_workflow.rpc.faults import FaultInjectingTransport
from anyio_workflow.rpc.transport import HttpTransport, Transport
from anyio_workflow.solana import SolanaRpc, SolanaSigner
from anyio_workflow.solana.tx import SolanaSender

HERE = Path(__file__).parent
SOLANA_PY = ("solana==0.41.0",)
IN_FLIGHT = 32
POLL = 0.02
ROUNDS = 5  # of the multichain comparison, interleaved; medians
LATENCY = 0.02  # a hosted node's round trip, added to every request of the multichain runs
LAMPORTS = 1_000_000


@contextmanager
def devnet(*args: str) -> Any:
    """``anyio-workflow devnet --json ARGS`` in its own process: its JSON line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "anyio_workflow.cli", "devnet", "--json", *args],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


async def ours(url: str, chain_id: str, secret: str, count: int) -> float:
    async with JsonRpcClient(url) as client:
        sender = SolanaSender(SolanaRpc(client), SolanaSigner(secret), chain_id,
                              poll_interval=POLL)  # fmt: skip
        limiter = anyio.CapacityLimiter(IN_FLIGHT)
        landed: list[int] = []

        async def one() -> None:
            async with limiter:
                agent = SolTransferAgent(str(Keypair().pubkey()), LAMPORTS, chain_id=chain_id)
                receipt = await sender.send(agent.build(sender.signer))
                landed.append(receipt.status)

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(count):
                tg.start_soon(one)
        elapsed = time.perf_counter() - started
    assert landed == [1] * count
    return count / elapsed


async def packing(url: str, chain_id: str, secret: str, count: int) -> dict[str, float]:
    """Payouts per second of one run of ``count`` SOL payouts, packed, and one by one."""
    signer = SolanaSigner(secret)
    rates: dict[str, float] = {}
    for how in ("packed", "one_per_transaction"):
        vendors = [str(Keypair().pubkey()) for _ in range(count)]
        if how == "packed":
            agents: list[Any] = [SolanaPayoutAgent([(v, LAMPORTS) for v in vendors],
                                                   chain_id=chain_id)]  # fmt: skip
        else:
            agents = [SolTransferAgent(v, LAMPORTS, chain_id=chain_id, name=f"pay-{i}")
                      for i, v in enumerate(vendors)]  # fmt: skip
        workflow = AsyncWorkflow(
            agents, AsyncWorkflowConfig(max_workers=IN_FLIGHT, auto_store_proofs=False),
            rpc={chain_id: url}, solana_signer=signer,
        )  # fmt: skip
        started = time.perf_counter()
        result = await workflow.run("payouts", chain_id=chain_id)
        elapsed = time.perf_counter() - started
        assert result.ok, result.error
        rates[how] = count / elapsed
    return rates


def solana_py(url: str, secret: str, count: int) -> float | None:
    python = baseline_python(HERE.parent / ".venv-bench-solana", SOLANA_PY)
    if python is None:
        return None
    try:
        out = subprocess.run(
            [str(python), str(HERE / "_solana_baseline.py"), url, str(count), secret, str(POLL)],
            check=True, capture_output=True, text=True, timeout=BASELINE_TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print(f"solana-py: no result within {BASELINE_TIMEOUT} s", file=sys.stderr)
        return None
    return float(json.loads(out.stdout)["transfers_per_s"])


def payouts(chains: dict[str, Any], count: int) -> list[Any]:
    agents: list[Any] = []
    for name, info in chains.items():
        for i in range(count):
            if name == "solana":
                to = str(Keypair().pubkey())
                agents.append(SolTransferAgent(to, LAMPORTS, chain_id=info["chain_id"],
                                               name=f"{name}-{i}"))  # fmt: skip
            else:
                to = "0x" + f"{0xB0B000 + i:040x}"
                agents.append(NativeTransferAgent(to, 10**12 + i, chain_id=info["chain_id"],
                                                  name=f"{name}-{i}"))  # fmt: skip
    return agents


def with_latency(url: str, latency: float) -> Callable[[], Transport]:
    """A transport factory to ``url`` that adds ``latency`` to every request, as a hosted
    node's round trip does (a transport wrapper, nothing patched)."""
    return lambda: FaultInjectingTransport(HttpTransport(url), latency=latency)


async def run_payouts(chains: dict[str, Any], count: int, latency: float = 0.0) -> float:
    evm = [info for name, info in chains.items() if name != "solana"]
    signer = LocalSigner(evm[0]["accounts"][0]["private_key"]) if evm else None
    rpc: dict[Any, Any] = {i["chain_id"]: with_latency(i["url"], latency) if latency
                           else i["url"] for i in chains.values()}  # fmt: skip
    services: dict[str, Any] = {}
    if "solana" in chains:
        services["solana_signer"] = SolanaSigner(chains["solana"]["accounts"][0]["secret_key"])
    workflow = AsyncWorkflow(
        payouts(chains, count), AsyncWorkflowConfig(max_workers=IN_FLIGHT, auto_store_proofs=False),
        rpc=rpc, signer=signer, **services,
    )  # fmt: skip
    started = time.perf_counter()
    result = await workflow.run("payouts", chain_id=1)
    elapsed = time.perf_counter() - started
    assert result.ok, result.error
    return elapsed


def measure(transfers: int, per_chain: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"transfers": transfers, "in_flight": IN_FLIGHT, "poll": POLL,
                               "payouts_per_chain": per_chain}  # fmt: skip
    with ExitStack() as stack:
        eth = stack.enter_context(devnet("--chain-id", "1"))
        pol = stack.enter_context(devnet("--chain-id", "137", "--solana"))
        sol = {"url": pol["solana"]["url"], "chain_id": pol["solana"]["chain_id"],
               "accounts": pol["solana"]["accounts"]}  # fmt: skip
        secrets = [a["secret_key"] for a in sol["accounts"]]
        figures["transfers_per_s"] = anyio.run(ours, sol["url"], sol["chain_id"], secrets[0],
                                               transfers)  # fmt: skip
        baseline = solana_py(sol["url"], secrets[1], transfers)
        figures["solana_py_sequential_transfers_per_s"] = baseline
        figures["vs_solana_py_sequential"] = (
            figures["transfers_per_s"] / baseline if baseline else None
        )
        rates = anyio.run(packing, sol["url"], sol["chain_id"], secrets[0], transfers)
        figures["packed_payouts_per_s"] = rates["packed"]
        figures["one_per_transaction_payouts_per_s"] = rates["one_per_transaction"]
        figures["packed_vs_one_per_transaction"] = rates["packed"] / rates["one_per_transaction"]
        eth_info = {"url": eth["url"], "chain_id": 1, "accounts": eth["accounts"]}
        pol_info = {"url": pol["url"], "chain_id": 137, "accounts": pol["accounts"]}
        sol["accounts"] = [{"secret_key": secrets[2]}]
        chains = {"ethereum": eth_info, "polygon": pol_info, "solana": sol}
        # Untimed once, then medians of interleaved rounds: on the revm devnets a run of
        # 20 payouts a chain takes ~30 ms, and a first, cold run was what this measured.
        anyio.run(run_payouts, chains, 2)
        for key, latency in (("multichain", LATENCY), ("multichain_no_latency", 0.0)):
            rounds: list[tuple[float, dict[str, float]]] = []
            for _ in range(ROUNDS):
                one = anyio.run(run_payouts, chains, per_chain, latency)
                rounds.append((one, {name: anyio.run(run_payouts, {name: info}, per_chain,
                                                     latency)
                                     for name, info in chains.items()}))  # fmt: skip
            together = statistics.median(r[0] for r in rounds)
            apart = {name: statistics.median(r[1][name] for r in rounds) for name in chains}
            figures[f"{key}_s"] = together
            figures[f"{key}_chain_by_chain_s"] = apart
            figures[f"{key}_vs_sequential"] = sum(apart.values()) / together
    figures["rounds"] = ROUNDS
    figures["rpc_latency_s"] = LATENCY
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 transfers, 20 payouts a chain")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure(100, 20) if args.quick else measure(200, 60)
    figures["goals"] = {"vs_solana_py_sequential": [">=", 8],
                        "multichain_vs_sequential": [">=", 2.5]}  # fmt: skip
    # Neither goal is met on this machine (docs/benchmarks.md says why: the devnet
    # confirms at once, which makes one-by-one fast; the devnet processes and the client
    # share 2 cores; one run's 32 workers serve three chains). The alarms are regression
    # floors instead.
    figures["alarm_at"] = {"vs_solana_py_sequential": [">=", 2],
                           "multichain_vs_sequential": [">=", 1.0]}  # fmt: skip
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{figures['transfers']} SOL transfers on the embedded devnet (loopback)")
    print(f"  ours, {IN_FLIGHT} in flight      {figures['transfers_per_s']:8.1f} transfers/s")
    base = figures["solana_py_sequential_transfers_per_s"]
    shown = f"{base:8.1f} transfers/s" if base else "unavailable"
    ratio = figures["vs_solana_py_sequential"]
    print(f"  solana-py, one by one  {shown}  ({ratio or 0:.2f}x; goal >= 8)")
    print(f"payouts on ethereum, polygon and solana, {figures['payouts_per_chain']} a chain: "
          f"{figures['multichain_s']:.2f} s in one run, "
          f"{sum(figures['multichain_chain_by_chain_s'].values()):.2f} s chain by chain "
          f"({figures['multichain_vs_sequential']:.2f}x; goal >= 2.5)")  # fmt: skip
    print(f"{figures['transfers']} SOL payouts in one run: packed "
          f"{figures['packed_payouts_per_s']:.1f} payouts/s, one transaction each "
          f"{figures['one_per_transaction_payouts_per_s']:.1f} payouts/s "
          f"({figures['packed_vs_one_per_transaction']:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
