"""How fast the property harness explores: hypothesis examples of a 20-payout workflow under
drawn fault schedules and interleavings, each on a fresh devnet, checked by the invariants.

Baseline, in the same run: the same property on the py-evm devnet (the engine the harness
would have without revm). Goal (issue 19): ``examples_per_s`` >= 5 on the revm devnet.

    python benchmarks/harness.py            # 100 examples on revm, 20 on py-evm
    python benchmarks/harness.py --quick    # 30 and 8
    python benchmarks/harness.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from typing import Any

from hypothesis import settings

from anyio_workflow.testing import (
    Payout,
    WorkflowEnv,
    assert_exactly_once,
    assert_record_complete,
    assert_settled,
    faults,
    read_chain,
    run_property,
    workflow_property,
)

PAYOUTS = 20


def measure(backend: str, examples: int) -> dict[str, Any]:
    """Run the property for ``examples`` examples on ``backend``; what it did and how fast."""
    seen: Counter[str] = Counter()

    @workflow_property(
        backends=(backend,),  # type: ignore[arg-type]
        faults=faults(reorgs=backend == "revm", crashes=True),
        # Fresh examples every run, none replayed from a database and none retried: a
        # failure, flaky or not, fails the run (issue 26).
        hypothesis_settings=settings(max_examples=examples, database=None, derandomize=False),
    )
    async def pays_once(env: WorkflowEnv) -> None:
        payouts = [Payout(env.accounts[1 + i % 9].address, 10**12 + i) for i in range(PAYOUTS)]
        result = await env.payroll(payouts)
        assert_settled(result)
        async with env.client() as client:
            view = await read_chain(client)
            await assert_exactly_once(result, client, payouts, view=view)
            await assert_record_complete(result, client, view=view)
        seen["examples"] += 1
        seen["with_a_fault_that_struck"] += bool(env.state.log)
        seen["crashed_and_resumed"] += env.crashed
        seen["succeeded"] += result.ok

    started = time.perf_counter()
    run_property(pays_once)
    elapsed = time.perf_counter() - started
    return {**seen, "seconds": elapsed, "examples_per_s": seen["examples"] / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 examples on revm, 8 on py-evm")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    n_revm, n_pyevm = (30, 8) if args.quick else (100, 20)
    revm = measure("revm", n_revm)
    pyevm = measure("py-evm", n_pyevm)
    figures: dict[str, Any] = {
        "payouts_per_example": PAYOUTS,
        "cores": os.cpu_count(),
        "examples_per_s": revm["examples_per_s"],
        "examples_per_s_pyevm": pyevm["examples_per_s"],
        "revm_vs_pyevm": revm["examples_per_s"] / pyevm["examples_per_s"],
        "revm": revm,
        "pyevm": pyevm,
        "goals": {"examples_per_s": [">=", 5]},
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{PAYOUTS}-payout workflow per example, fresh devnet, drawn faults and interleavings")
    for name, run in (("revm", revm), ("py-evm", pyevm)):
        print(
            f"  {name:<7} {run['examples']:>4} examples in {run['seconds']:6.1f} s: "
            f"{run['examples_per_s']:6.2f}/s; a fault struck in {run['with_a_fault_that_struck']}"
            f", crashed and resumed {run['crashed_and_resumed']}, succeeded {run['succeeded']}"
        )
    print(f"  revm_vs_pyevm {figures['revm_vs_pyevm']:.2f}x; goal: examples_per_s >= 5")


if __name__ == "__main__":
    main()
