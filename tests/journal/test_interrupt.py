"""Ctrl-C and SIGTERM on ``anyio-workflow run``: the run is cancelled, and its auditors
(shielded) record it before the process ends, under asyncio and trio (issue 15)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

WORKFLOW = textwrap.dedent(
    """
    import json, pathlib
    import anyio
    from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, Role

    HERE = pathlib.Path(__file__).parent

    class Work(BaseAgent):
        async def execute(self, task, ctx):
            (HERE / "working").touch()
            await anyio.sleep(float(task.params["work"]))

    class SlowAuditor(BaseAgent):
        role = Role.AUDITOR

        async def execute(self, task, ctx):
            (HERE / "auditing").touch()
            await anyio.sleep(1.5)
            (HERE / "record.json").write_text(json.dumps({"status": ctx.status.value}))

    workflow = AsyncWorkflow([Work(), SlowAuditor()], AsyncWorkflowConfig(auto_store_proofs=False))
    """
)


def start(tmp_path: Path, backend: str, work: float) -> subprocess.Popen[str]:
    (tmp_path / "flow.py").write_text(WORKFLOW)
    command = [sys.executable, "-m", "anyio_workflow.cli", "run", f"{tmp_path}/flow.py:workflow",
               "--action", "wait", "--params", json.dumps({"work": work}),
               "--backend", backend, "--json"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})  # fmt: skip


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)
    time.sleep(0.1)  # the signal receiver is open before the first agent starts


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_auditors_lets_them_record(
    tmp_path: Path, backend: str, signum: int
) -> None:
    process = start(tmp_path, backend, work=0)
    wait_for(tmp_path / "auditing", process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    record = json.loads((tmp_path / "record.json").read_text())  # written, not cut short
    assert record == {"status": "succeeded"}
    assert process.returncode in (0, 130), err  # the run was over; only its record remained


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_work_cancels_the_run_and_records_it(
    tmp_path: Path, backend: str, signum: int
) -> None:
    process = start(tmp_path, backend, work=60)
    wait_for(tmp_path / "working", process)
    began = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "cancelling the run; its auditors record it first" in err
    assert json.loads((tmp_path / "record.json").read_text()) == {"status": "cancelled"}
    assert 1.5 <= time.monotonic() - began < 20  # the auditor's 1.5 s, not the work's 60
