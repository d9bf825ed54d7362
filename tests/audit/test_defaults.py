"""Audit defaults a person can use (issue 27): the default auditor key is kept across
processes, readable by its owner only, and a run says where its record went and who
signed it, in the form ``verify`` takes, which finds it there by default."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anyio_workflow.agents import AuditorAgent
from anyio_workflow.agents.auditor import AUDITOR_KEY
from anyio_workflow.cli import app
from anyio_workflow.storage.local import DATA_DIR_ENV


def test_the_default_auditor_key_is_kept_owner_only_and_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    old = os.umask(0o022)
    try:
        first, second = AuditorAgent(), AuditorAgent()
    finally:
        os.umask(old)
    assert first.signer.address == second.signer.address  # one key, not one per agent
    key = tmp_path / "data" / AUDITOR_KEY
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    secret = key.read_text().strip()[2:]
    assert secret not in repr(first) and secret not in repr(first.signer)
    # Another process, the same data directory: the same auditor.
    env = {**os.environ, DATA_DIR_ENV: str(tmp_path / "data")}
    other = subprocess.run(
        [sys.executable, "-c",
         "from anyio_workflow.agents import AuditorAgent; print(AuditorAgent().signer.address)"],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    )  # fmt: skip
    assert other.stdout.strip() == first.signer.address


async def test_a_run_says_where_its_record_went_and_verify_finds_it_there(
    tmp_path: Path,
) -> None:
    import anyio

    from anyio_workflow.devnet import EvmDevnet

    devnet = EvmDevnet(chain_id=31337)
    path = tmp_path / "payouts.py"
    path.write_text(
        "from anyio_workflow import AsyncWorkflow\n"
        "from anyio_workflow.agents import NativeTransferAgent\n"
        f"workflow = AsyncWorkflow([NativeTransferAgent('{devnet.accounts[8].address}', 7)])\n"
    )
    key = "0x" + devnet.accounts[4].key.hex()
    async with devnet.serve() as url:
        args = ["run", f"{path}:workflow", "--action", "pay", "--chain-id", "31337",
                "--rpc", f"31337={url}"]  # fmt: skip
        env = {"ANYIO_WORKFLOW_PRIVATE_KEY": key}
        shown = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(app, args, env=env))
        done = await anyio.to_thread.run_sync(
            lambda: CliRunner().invoke(app, [*args, "--json"], env=env)
        )
    assert shown.exit_code == 0, shown.output
    assert "stored in " in shown.output and "anyio-workflow verify " in shown.output
    summary = json.loads(done.stdout)
    records = Path(os.environ[DATA_DIR_ENV]) / "records"
    assert summary["stored_in"] == str(records)
    verified = await anyio.to_thread.run_sync(  # no --store: where runs here keep records
        lambda: CliRunner().invoke(
            app, ["verify", summary["cid"], "--auditor", summary["auditor"], "--json"]
        )
    )
    assert verified.exit_code == 0, verified.output
    checks = {c["name"]: c["ok"] for c in json.loads(verified.stdout)["checks"]}
    assert checks["signature"] and checks["authorship"], checks
