from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from anyio_workflow.cli import app


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_demo_json_reports_a_successful_run(backend: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--json", "--agents", "6", "--backend", backend])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "succeeded"
    roles = [o["role"] for o in summary["outcomes"]]
    assert roles == ["validator"] + ["executor"] * 6 + ["auditor"]
    assert all(o["status"] == "succeeded" for o in summary["outcomes"])
    # Real transfers on both devnets, each confirmed by its receipt.
    assert sorted(r["chain"] for r in summary["receipts"]) == ["ethereum"] * 3 + ["polygon"] * 3
    assert {r["gas_used"] for r in summary["receipts"]} == {21_000}
    assert len({r["hash"] for r in summary["receipts"]}) == 6
    # Concurrency hides latency: the run beats the one-by-one estimate.
    assert summary["wall_s"] < summary["sequential_estimate_s"]


def test_demo_rejects_a_bad_backend_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["demo", "--backend", "curio"])
    assert result.exit_code == 2
    assert "must be asyncio or trio" in result.output
