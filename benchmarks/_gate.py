"""The benchmarks' regression alarm, for CI: run every benchmark with ``--quick --json``
and fail when a figure it gates is worse than half its goal.

It is an alarm, not the measurement: ``--quick`` runs are short and noisy, so the margin
is wide (a ">= 8" goal fails under 4, a "<= 1.5" goal over 3), and a benchmark that rings
is run once more: it fails only if it rings again (anvil 1.7.1 now and then leaves a
transaction queued for the 12 s stuck backstop, which sinks one run's figures and not the
next's). A benchmark that fails to run (a money property that failed, even once: issue 26)
or a correctness figure (an ``==`` goal) that rings is not run again: it fails at once. The
full runs, recorded in docs/benchmarks.md, are the figures. Each benchmark
names its gated figures and their goals in its JSON (``"goals": {"path.to.key": [">=",
8]}``). A goal that this machine cannot reach (said so, with the reason, in
docs/benchmarks.md) names its own alarm instead, as a regression floor
(``"alarm_at": {"path.to.key": [">=", 5]}``): the goal stays in the JSON and the report.

    python benchmarks/_gate.py              # every benchmark
    python benchmarks/_gate.py latency      # some of them
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def lookup(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        value = value[part]
    return value


def alarms(figures: dict[str, Any]) -> list[str]:
    """The gated figures that are worse than half their goal (or not there at all)."""
    found = []
    floors = figures.get("alarm_at", {})
    for path, (op, goal) in figures["goals"].items():
        try:
            value = lookup(figures, path)
        except (KeyError, TypeError):
            found.append(f"{path}: missing")
            continue
        if path in floors:  # an unmet goal: its regression floor rings
            floor_op, floor = floors[path]
            bad = value is None or (value < floor if floor_op == ">=" else value > floor)
            if bad:
                found.append(f"{path} = {value!r} (goal {op} {goal}, not met here; alarm "
                             f"{floor_op} {floor})")  # fmt: skip
            continue
        if op == "==":
            bad = value != goal
        elif value is None:
            bad = True
        elif op == ">=":
            bad = value < goal / 2
        else:  # "<="
            bad = value > goal * 2
        if bad:
            found.append(f"{path} = {value!r} (goal {op} {goal}; alarm past half of it)")
    return found


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    failed = False
    for name in names:
        for attempt in (1, 2):
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, str(HERE / f"{name}.py"), "--quick", "--json"],
                capture_output=True,
                text=True,
            )
            took = time.perf_counter() - started
            if out.returncode != 0:  # a failed property or a crash: never run again
                print(f"{name}: FAILED to run ({took:.0f} s)\n{out.stderr[-2000:]}")
                found = ["did not run"]
                break
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            found = alarms(figures)
            exact = [k for k, (op, _) in figures["goals"].items() if op == "=="]
            wrong = [line for line in found if line.split(" ")[0].rstrip(":") in exact]
            shown = ", ".join(f"{k}={lookup(figures, k)!r:.8}" for k in figures["goals"])
            last = attempt == 2 or bool(wrong)  # a correctness figure is not run again
            verdict = "ok" if not found else "ALARM" if last else "rang, once more"
            print(f"{name}: {verdict} in {took:.0f} s: {shown}")
            for line in found:
                print(f"  {line}")
            if not found or last:
                break
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
