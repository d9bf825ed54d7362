"""Runs on Temporal: 200 workflows of 10 payouts each through the dev server, with one
worker process and with two, against the same 200 runs in one process.

Each phase has a fresh anvil (10 treasury accounts: workflow i pays from treasury i % 10),
a fresh dev server task queue and shared directory (journal, nonce leases). Every payout
is then read back from the chain. Figures (issue 20):

- ``completeness``: payouts on chain exactly once over payouts intended (goal 1.0);
- ``duplicates``: payouts made more than once, or not intended (goal 0);
- ``scaling_2_workers``: runs/s with 2 worker processes over 1 (reported with ``cores``);
- ``temporal_vs_inprocess``: the in-process runs/s over Temporal's with one worker (the
  price of durability across machines; ``temporal_2_vs_inprocess`` with two).

    python benchmarks/temporal.py            # 200 workflows a phase
    python benchmarks/temporal.py --quick    # 30
    python benchmarks/temporal.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _node import anvil_process

from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import to_checksum
from anyio_workflow.rpc import EthRpc, JsonRpcClient
from anyio_workflow.temporal import TemporalDevServer, connect, result, submit
from anyio_workflow.testing import read_chain

HERE = Path(__file__).parent
CHAIN = 31337
TREASURIES = 10
PAYOUTS = 10


def tasks(runs: int, phase: int) -> list[dict[str, Any]]:
    return [
        {"action": "bench-payroll", "params": {"treasury": i % TREASURIES, "payouts": [
            {"chain_id": CHAIN, "to": to_checksum(f"0x{phase:04x}{i:06x}{j:04x}{0:026x}"),
             "amount": 10**12 + j} for j in range(PAYOUTS)]}}
        for i in range(runs)
    ]  # fmt: skip


@contextmanager
def environment(url: str, directory: Path) -> Iterator[dict[str, str]]:
    keys = ",".join("0x" + a.key.hex() for a in Anvil(accounts=TREASURIES).accounts)
    env = {"AW_BENCH_RPC": url, "AW_BENCH_CHAIN": str(CHAIN), "AW_BENCH_KEYS": keys,
           "AW_BENCH_DIR": str(directory)}  # fmt: skip
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_workers(address: str, queue: str, env: dict[str, str], n: int) -> list[Any]:
    workers = []
    for _ in range(n):
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "anyio_workflow", "worker", "--temporal", address,
             "--task-queue", queue, "--module", "_temporal_workers"],
            cwd=HERE, env={**os.environ, **env, "AW_BENCH_WORKER": "1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ))  # fmt: skip
    for worker in workers:  # ready once it says it serves
        seen = b""
        while b"worker: serving" not in seen:
            chunk = worker.stderr.read1(4096)
            if not chunk:
                raise RuntimeError(f"a worker exited: {seen.decode(errors='replace')[-2000:]}")
            seen += chunk
    return workers


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds process ``pid`` has used (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(workers: list[Any]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def check(url: str, batch: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(payouts paid exactly once, payouts intended, payouts too many) on the chain."""
    from _temporal_workers import TREASURIES as signers

    async with JsonRpcClient(url) as client:
        view = await read_chain(EthRpc(client))
    paid = view.payouts([s.address for s in signers])
    intended = {(p["to"], p["amount"]) for t in batch for p in t["params"]["payouts"]}
    counts = {(p.to, p.amount): len(hashes) for p, hashes in paid.items() if p.token is None}
    once = sum(1 for key in intended if counts.get(key) == 1)
    extra = sum(n - 1 for key, n in counts.items() if key in intended and n > 1)
    extra += sum(n for key, n in counts.items() if key not in intended)
    return once, len(intended), extra


def on_temporal(
    address: str, runs: int, workers: int, phase: int, server: int | None
) -> dict[str, Any]:
    batch = tasks(runs, phase)
    with (
        tempfile.TemporaryDirectory() as tmp,
        anvil_process(accounts=TREASURIES) as url,
        environment(url, Path(tmp)) as env,
    ):
        queue = f"bench-{phase}"
        running = start_workers(address, queue, env, workers)
        server_before = cpu_seconds(server)
        workers_before = sum(cpu_seconds(w.pid) for w in running)
        try:

            async def main() -> tuple[float, list[Any]]:
                client = await connect(address)
                started = time.perf_counter()
                handles = [await submit(client, t, CHAIN, task_queue=queue) for t in batch]
                done = [await result(h) for h in handles]
                return time.perf_counter() - started, done

            seconds, done = anyio.run(main, backend="asyncio")
            used = sum(cpu_seconds(w.pid) for w in running) - workers_before
            cpu = {"server": cpu_seconds(server) - server_before, "workers": used}
        finally:
            stop(running)
        once, intended, extra = anyio.run(check, url, batch)
    ok = sum(r.ok for r in done)
    return {"workers": workers, "runs": runs, "seconds": seconds, "runs_per_s": runs / seconds,
            "succeeded": ok, "paid_once": once, "intended": intended, "duplicates": extra,
            "cpu_seconds": cpu}  # fmt: skip


def in_process(runs: int, phase: int) -> dict[str, Any]:
    batch = tasks(runs, phase)
    with (
        tempfile.TemporaryDirectory() as tmp,
        anvil_process(accounts=TREASURIES) as url,
        environment(url, Path(tmp)),
    ):
        from _temporal_workers import make

        workflow = make(None)

        async def main() -> tuple[float, list[Any]]:
            done: list[Any] = []
            started = time.perf_counter()
            async with workflow, anyio.create_task_group() as tg:
                for t in batch:

                    async def one(t: dict[str, Any] = t) -> None:
                        done.append(await workflow.run(t, CHAIN))

                    tg.start_soon(one)
            return time.perf_counter() - started, done

        seconds, done = anyio.run(main)
        once, intended, extra = anyio.run(check, url, batch)
    return {"runs": runs, "seconds": seconds, "runs_per_s": runs / seconds,
            "succeeded": sum(r.ok for r in done), "paid_once": once, "intended": intended,
            "duplicates": extra}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 workflows a phase")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    runs = 30 if args.quick else 200

    async def serve() -> dict[str, Any]:
        async with TemporalDevServer() as server:
            one = await anyio.to_thread.run_sync(
                on_temporal, server.address, runs, 1, 1, server.pid
            )
            two = await anyio.to_thread.run_sync(
                on_temporal, server.address, runs, 2, 2, server.pid
            )
            return {"one": one, "two": two}

    measured = anyio.run(serve, backend="asyncio")
    one, two = measured["one"], measured["two"]
    local = in_process(runs, 3)
    phases = (one, two)
    figures: dict[str, Any] = {
        "workflows": runs, "payouts_per_workflow": PAYOUTS, "cores": os.cpu_count(),
        "completeness": min(p["paid_once"] / p["intended"] for p in phases),
        "duplicates": sum(p["duplicates"] for p in phases),
        "scaling_2_workers": two["runs_per_s"] / one["runs_per_s"],
        "temporal_vs_inprocess": local["runs_per_s"] / one["runs_per_s"],
        "temporal_2_vs_inprocess": local["runs_per_s"] / two["runs_per_s"],
        "one_worker": one, "two_workers": two, "in_process": local,
        "goals": {"completeness": [">=", 1.0], "duplicates": ["<=", 0]},
        # Money: the alarm rings at the goal itself, not at half of it.
        "alarm_at": {"completeness": [">=", 1.0], "duplicates": ["<=", 0]},
    }  # fmt: skip
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{runs} workflows of {PAYOUTS} payouts each, anvil, {os.cpu_count()} cores")
    for name, p in (("1 worker", one), ("2 workers", two), ("in-process", local)):
        print(f"  {name:<11} {p['seconds']:6.2f} s  {p['runs_per_s']:7.1f} runs/s  "
              f"succeeded {p['succeeded']}/{p['runs']}  paid once {p['paid_once']}/"
              f"{p['intended']}  duplicates {p['duplicates']}")  # fmt: skip
        if "cpu_seconds" in p:
            cpu = p["cpu_seconds"]
            print(
                f"  {'':<11} CPU: server {cpu['server']:.1f} s, workers {cpu['workers']:.1f} s "
                f"({(cpu['server'] + cpu['workers']) / p['seconds']:.2f} cores busy)"
            )
    print(f"  completeness {figures['completeness']:.3f} (goal 1.0), duplicates "
          f"{figures['duplicates']} (goal 0), scaling_2_workers "
          f"{figures['scaling_2_workers']:.2f}x, temporal_vs_inprocess "
          f"{figures['temporal_vs_inprocess']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
