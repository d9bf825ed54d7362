"""What does the workflow engine cost over a bare AnyIO task group?

Runs N no-op executor agents through ``AsyncWorkflow`` and, in the same process, N bare
coroutines in an ``anyio`` task group under a ``CapacityLimiter`` of the same size, on
asyncio and on trio. The workflow's time includes building its agents and the workflow
itself, as the bare side's includes making its coroutines. Prints the time per task of
each and their ratio (goal: <= 1.5).

    python benchmarks/engine_overhead.py            # 10,000 tasks, 7 rounds
    python benchmarks/engine_overhead.py --quick    # 2,000 tasks, 5 rounds
    python benchmarks/engine_overhead.py --json     # one JSON object
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from typing import Any

import anyio

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, Role, RunContext, Task

WORKERS = 8


class Noop(BaseAgent):
    role = Role.EXECUTOR

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        return None


async def noop() -> None:
    return None


async def bare(n: int) -> float:
    limiter = anyio.CapacityLimiter(WORKERS)

    async def worker() -> None:
        async with limiter:
            await noop()

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(worker)
    return time.perf_counter() - started


async def workflow(n: int) -> float:
    # The clock covers what the bare side's clock covers: making the n units of work (the
    # agents and the workflow that checks them) and running them.
    started = time.perf_counter()
    wf = AsyncWorkflow(
        [Noop() for _ in range(n)],
        # The engine alone: the audit record (a Merkle tree over n agents) is not its cost.
        AsyncWorkflowConfig(max_workers=WORKERS, context_length=n, auto_store_proofs=False),
    )
    result = await wf.run("noop")
    elapsed = time.perf_counter() - started
    assert result.ok and result.steps == n, result
    return elapsed


def measure(backend: str, n: int, rounds: int) -> dict[str, float]:
    bare_times: list[float] = []
    ours: list[float] = []
    for _ in range(rounds):
        # Alternate, so that drift in the machine's speed falls on both alike.
        for target, sink in ((bare, bare_times), (workflow, ours)):
            gc.collect()
            sink.append(anyio.run(target, n, backend=backend))
    bare_us = statistics.median(bare_times) / n * 1e6
    ours_us = statistics.median(ours) / n * 1e6
    return {
        "bare_us_per_task": bare_us,
        "workflow_us_per_task": ours_us,
        "ratio": ours_us / bare_us,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 tasks, under 30 s")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-n", type=int, default=None, help="tasks per run")
    args = parser.parse_args()
    n = args.n or (2_000 if args.quick else 10_000)
    rounds = 5 if args.quick else 7
    figures: dict[str, Any] = {"tasks": n, "rounds": rounds, "max_workers": WORKERS}
    figures["goals"] = {"ratio_asyncio": ["<=", 1.5], "ratio_trio": ["<=", 1.5]}
    for backend in ("asyncio", "trio"):
        result = measure(backend, n, rounds)
        figures[backend] = result
        figures[f"ratio_{backend}"] = result["ratio"]
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{n} no-op executors, max_workers={WORKERS}, median of {rounds} rounds")
    print(f"{'backend':<8} {'bare task group':>16} {'AsyncWorkflow':>14} {'ratio':>6}")
    for backend in ("asyncio", "trio"):
        r = figures[backend]
        print(
            f"{backend:<8} {r['bare_us_per_task']:>13.1f} us {r['workflow_us_per_task']:>11.1f} us"
            f" {r['ratio']:>5.2f}x"
        )
    print("goal: ratio <= 1.5 on both backends")


if __name__ == "__main__":
    main()
