"""The benchmarks' own environment for third-party baselines (web3.py): .venv-bench/.

web3.py is never a dependency of anyio-workflow: it is installed here, on first use, and
its measurements run in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".venv-bench"
WEB3_PIN = "web3==8.0.0"
EXTRAS = ("coincurve",)  # so that web3.py signs with the same backend as we do
SCRIPT = Path(__file__).with_name("_web3_baseline.py")


def bench_python() -> Path | None:
    """The benchmark environment's python, made on first use; None if it cannot be."""
    python = BENCH_VENV / "bin" / "python"
    stamp = BENCH_VENV / ".stamp"
    want = " ".join((WEB3_PIN, *EXTRAS))
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    print(f"setting up {BENCH_VENV.name} with {WEB3_PIN} (once)...", file=sys.stderr)
    try:
        venv.create(BENCH_VENV, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             WEB3_PIN, *EXTRAS],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"web3.py baseline unavailable: {exc}", file=sys.stderr)
        return None
    stamp.write_text(want)
    return python


BASELINE_TIMEOUT = 180  # seconds


def web3(*args: object) -> dict[str, Any] | None:
    python = bench_python()
    if python is None:
        return None
    try:
        out = subprocess.run(
            [str(python), str(SCRIPT), *map(str, args)],
            check=True, capture_output=True, text=True, timeout=BASELINE_TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        # anvil 1.7.1 now and then leaves a transaction queued, and web3.py waits on: the
        # figure is missing (None), which the report and the gate say, not a hang.
        print(f"web3.py {args[0]}: no result within {BASELINE_TIMEOUT} s", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.stdout)
    return result
