"""Kill -9 mid-payroll, then run the same command again: every recipient is paid exactly
once, the account's nonce equals the payouts, and the second process sends nothing that
was already mined (issue 15)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from anyio_workflow.devnet import Anvil
from anyio_workflow.journal import SqliteJournal, TxState
from anyio_workflow.rpc import EthRpc, JsonRpcClient

from .payroll import amount, recipient

SCRIPT = Path(__file__).with_name("payroll.py")
COUNT = 20
TRIALS = int(os.environ.get("KILL_TRIALS", "5"))


def payroll(url: str, journal: Path, key: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent)}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), url, str(journal), key, str(COUNT)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_payroll_killed_at_random_is_paid_exactly_once(trial: int, tmp_path: Path) -> None:
    rng = random.Random(trial)
    journal = tmp_path / "runs.db"
    anyio.run(_trial, rng, journal)


async def _trial(rng: random.Random, journal: Path) -> None:
    async with Anvil() as anvil, JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        payer = anvil.accounts[0].address
        first = payroll(anvil.url, journal, "payroll-1")
        # Kill when the run is under way: after some of its transactions are signed.
        deadline = time.monotonic() + 30
        wanted = rng.randint(1, COUNT // 2)
        while time.monotonic() < deadline and first.poll() is None:
            if await eth.get_transaction_count(payer, "pending") >= wanted:
                break
            await anyio.sleep(0.005)
        await anyio.sleep(rng.uniform(0, 0.02))
        first.send_signal(signal.SIGKILL)
        first.communicate()  # reaps it and closes its pipes
        assert first.returncode == -signal.SIGKILL  # killed, not finished
        mined_before = await eth.get_transaction_count(payer, "latest")
        state = SqliteJournal(journal)
        states = [e.state for e in state.entries()]
        await state.aclose()
        print(f"killed with {mined_before} mined; journal: "
              f"{ {s.value: states.count(s) for s in set(states)} }")  # fmt: skip

        second = payroll(anvil.url, journal, "payroll-1")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err[-2000:]
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["status"] == "succeeded", (summary, states)
        for i in range(COUNT):
            assert await eth.get_balance(recipient(i)) == amount(i), (i, states)
        assert await eth.get_transaction_count(payer, "latest") == COUNT  # nothing twice
        assert mined_before <= COUNT
        reopened = SqliteJournal(journal)
        mined = [e for e in reopened.entries() if e.state is TxState.MINED]
        assert len(mined) == COUNT and len({e.mined for e in mined}) == COUNT
        await reopened.aclose()


def test_the_runs_command_lists_a_journals_runs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from anyio_workflow.cli import app

    async def record() -> None:
        journal = SqliteJournal(tmp_path / "runs.db")
        done = await journal.intent(run_id="payroll-1", agent="a", chain_id=1,
                                    account="0x" + "11" * 20, request={})  # fmt: skip
        await journal.signed(done, nonce=0, tx_hash="0xa1", raw=b"x")
        await journal.moved(done, TxState.MINED, "0xa1")
        open_ = await journal.intent(run_id="payroll-1", agent="b", chain_id=1,
                                     account="0x" + "11" * 20, request={})  # fmt: skip
        await journal.signed(open_, nonce=1, tx_hash="0xa2", raw=b"y")
        await journal.aclose()

    anyio.run(record)
    out = CliRunner().invoke(app, ["runs", "--journal", str(tmp_path / "runs.db"), "--json"])
    assert out.exit_code == 0, out.output
    (run,) = json.loads(out.stdout)["runs"]
    assert run == {"run": "payroll-1", "transactions": 2,
                   "states": {"mined": 1, "signed": 1}, "unsettled": 1}  # fmt: skip
    missing = CliRunner().invoke(app, ["runs", "--journal", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no journal at" in missing.output
