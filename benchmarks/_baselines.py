"""The benchmarks' own environments for third-party baselines: web3.py in .venv-bench/,
solana-py in .venv-bench-solana/ (apart: their pins need not agree).

Neither is a dependency of anyio-workflow: each is installed here, on first use, and its
measurements run in a subprocess.
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
    """The web3.py environment's python, made on first use; None if it cannot be."""
    return baseline_python(BENCH_VENV, (WEB3_PIN, *EXTRAS))


def baseline_python(where: Path, pins: tuple[str, ...]) -> Path | None:
    """A virtualenv at ``where`` with ``pins`` installed, made on first use (and again
    when the pins change); its python, or None if it cannot be made."""
    python = where / "bin" / "python"
    stamp = where / ".stamp"
    want = " ".join(pins)
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    print(f"setting up {where.name} with {want} (once)...", file=sys.stderr)
    try:
        venv.create(where, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *pins],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"baseline environment {where.name} unavailable: {exc}", file=sys.stderr)
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
    except subprocess.CalledProcessError as exc:
        print(f"web3.py {args[0]} failed:\n{exc.stderr[-2000:]}", file=sys.stderr)
        return None
    except subprocess.TimeoutExpired:
        # anvil 1.7.1 now and then leaves a transaction queued, and web3.py waits on: the
        # figure is missing (None), which the report and the gate say, not a hang.
        print(f"web3.py {args[0]}: no result within {BASELINE_TIMEOUT} s", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.stdout)
    return result
