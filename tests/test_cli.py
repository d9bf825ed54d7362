from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anyio_workflow.cli import app


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_demo_json_reports_a_successful_run(backend: str, tmp_path: Path) -> None:
    args = ["demo", "--json", "--agents", "6", "--batch", "12", "--backend", backend,
            "--store", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "succeeded"
    roles = [o["role"] for o in summary["outcomes"]]
    assert roles == ["validator"] * 3 + ["executor"] * 8 + ["auditor"]
    assert all(o["status"] == "succeeded" for o in summary["outcomes"])
    # Real transfers on both devnets, each confirmed by its receipt: 6 native payouts, and
    # per chain a USDC approval and one batch of 12.
    receipts = summary["receipts"]
    assert len(receipts) == 6 + 2 * 2 and len({r["hash"] for r in receipts}) == 10
    assert sorted(r["chain"] for r in receipts) == ["ethereum"] * 5 + ["polygon"] * 5
    assert all(r["status"] == 1 for r in receipts)
    assert summary["batching"]["payouts"] == 24 and summary["batching"]["transactions"] == 4
    assert summary["gas_saved_pct"] > 0
    # Concurrency hides latency: the run beats the one-by-one estimate.
    assert summary["wall_s"] < summary["sequential_estimate_s"]
    # The audit record is stored, and `verify` accepts it.
    verified = CliRunner().invoke(
        app, ["verify", summary["cid"], "--store", str(tmp_path), "--json"]
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"]


def test_demo_rejects_a_bad_backend_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["demo", "--backend", "curio"])
    assert result.exit_code == 2
    assert "must be asyncio or trio" in result.output
