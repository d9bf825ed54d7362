"""Kill -9 mid-payroll, then the same command again (or ``resume``): every recipient is
paid exactly once, the account's nonce equals the payouts, and the second process sends
nothing that was already mined (issue 15).

The child is ``anyio-workflow run`` paying 50 recipients through a loopback proxy, which
kills it at a chosen point: right after signing (its Nth broadcast reaches the proxy and
goes no further), right after a broadcast (the node took it; the answer never returns),
during receipt polling, or at a random moment. On anvil and on the embedded devnet served
on loopback. ``KILL_TRIALS=30`` (``./dev kill-suite``) runs the slow suite; five trials, one
per kill point and both nodes, run by default.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.devnet.serve import serve_asgi
from anyio_workflow.journal import SqliteJournal, TxState
from anyio_workflow.rpc import EthRpc, JsonRpcClient
from anyio_workflow.testing import RpcProxy

from .payroll import amount, recipient

SCRIPT = Path(__file__).with_name("payroll.py")
COUNT = 50
TRIALS = int(os.environ.get("KILL_TRIALS", "5"))
POINTS = ("signed", "broadcast", "polling", "random")
NODES = ("anvil", "devnet")


def kill_plan(trial: int) -> tuple[str, str]:
    """(kill point, node): five trials cover every point and both nodes; eight, every pair."""
    return POINTS[trial % 4], NODES[(trial // 4 + trial) % 2]


def child(command: str, url: str, chain: int, journal: Path, key: str, private: str) -> Any:
    args = (["run", f"{SCRIPT}:workflow", "--action", "payroll", "--chain-id", str(chain),
             "--key", key] if command == "run"
            else ["resume", key, f"{SCRIPT}:workflow"])  # fmt: skip
    env = {**os.environ, "ANYIO_WORKFLOW_PRIVATE_KEY": private, "PAYROLL_COUNT": str(COUNT)}
    # Output to files: a pipe nobody reads until the child exits fills with its receipts.
    out, err = journal.with_suffix(f".{command}.out"), journal.with_suffix(f".{command}.err")
    with out.open("w") as stdout, err.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "anyio_workflow.cli", *args, "--journal", str(journal),
             "--rpc", f"{chain}={url}", "--json"],
            stdout=stdout, stderr=stderr, text=True, env=env,
        )  # fmt: skip


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_payroll_killed_at_random_is_paid_exactly_once(trial: int, tmp_path: Path) -> None:
    point, node = kill_plan(trial)
    report = anyio.run(_trial, trial, point, node, tmp_path / "runs.db")
    print(f"trial {trial}: {report}")


async def _trial(trial: int, point: str, node: str, journal: Path) -> str:
    rng = random.Random(trial)
    async with AsyncExitStack() as stack:
        if node == "anvil":
            anvil = await stack.enter_async_context(Anvil())
            url, chain, account = anvil.url, anvil.chain_id, anvil.accounts[0]
        else:
            devnet = EvmDevnet(chain_id=1337)
            url = await stack.enter_async_context(devnet.serve())
            chain, account = 1337, devnet.accounts[0]
        proxy = RpcProxy(url)
        stack.push_async_callback(proxy.aclose)
        proxied = await stack.enter_async_context(serve_asgi(proxy))
        eth = EthRpc(await stack.enter_async_context(JsonRpcClient(url)))
        private = "0x" + account.key.hex()
        wanted = rng.randint(1, COUNT // 2)
        first = child("run", proxied, chain, journal, "payroll-1", private)
        killed = anyio.Event()

        def kill() -> bool:
            if not killed.is_set():
                first.send_signal(signal.SIGKILL)
                killed.set()
            return True

        sent = 0

        async def before(calls: list[dict[str, Any]]) -> bool:
            nonlocal sent
            if killed.is_set():
                return True
            names = [c["method"] for c in calls]
            if point == "signed" and "eth_sendRawTransaction" in names:
                sent += names.count("eth_sendRawTransaction")
                return kill() if sent >= wanted else False
            if point == "polling" and sent >= wanted and "eth_getTransactionReceipt" in names:
                return kill()
            return False

        async def after(calls: list[dict[str, Any]]) -> bool:
            nonlocal sent
            if killed.is_set():
                return True
            names = [c["method"] for c in calls]
            if point in ("broadcast", "polling"):
                sent += names.count("eth_sendRawTransaction")
            return kill() if point == "broadcast" and sent >= wanted else False

        proxy.before, proxy.after = before, after
        with anyio.fail_after(60):
            while not killed.is_set():
                assert first.poll() is None, journal.with_suffix(".run.err").read_text()
                if point == "random" and len(proxy.broadcasts) >= wanted:
                    await anyio.sleep(rng.uniform(0, 0.05))
                    kill()
                await anyio.sleep(0.002)
        await anyio.to_thread.run_sync(first.wait)
        assert first.returncode == -signal.SIGKILL  # killed, not finished
        mined_before = await mined_hashes(eth, account.address)
        found = SqliteJournal(journal)
        states = Counter(e.state.value for e in found.entries())
        await found.aclose()

        proxy.before = proxy.after = None
        proxy.broadcasts = []
        command = "run" if trial % 2 == 0 else "resume"
        second = child(command, proxied, chain, journal, "payroll-1", private)
        await anyio.to_thread.run_sync(lambda: second.wait(timeout=120))
        out = journal.with_suffix(f".{command}.out").read_text()
        err = journal.with_suffix(f".{command}.err").read_text()
        assert second.returncode == 0, err[-3000:]
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["status"] == "succeeded", (summary, states)
        for i in range(COUNT):
            assert await eth.get_balance(recipient(i)) == amount(i), (i, states)
        assert await eth.get_transaction_count(account.address, "latest") == COUNT
        assert not set(proxy.broadcasts) & mined_before  # nothing mined was sent again
        reopened = SqliteJournal(journal)
        mined = [e for e in reopened.entries() if e.state is TxState.MINED]
        assert len(mined) == COUNT and len({e.mined for e in mined}) == COUNT
        assert reopened.run("payroll-1").status == "succeeded"
        await reopened.aclose()
        return (f"{node}, killed {point} at send {wanted} with {len(mined_before)} mined; "
                f"journal {dict(states)}; {command} re-sent {len(proxy.broadcasts)}")  # fmt: skip


async def mined_hashes(eth: EthRpc, sender: str) -> set[str]:
    """The hashes of every transaction from ``sender`` in the chain's blocks."""
    hashes: set[str] = set()
    latest = await eth.block_number()
    for number in range(latest + 1):
        block = await eth.get_block(number, full=True)
        for tx in block["transactions"]:
            if tx["from"].lower() == sender.lower():
                hashes.add(tx["hash"])
    return hashes


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
    assert run == {"run": "payroll-1", "status": None, "attempts": None, "transactions": 2,
                   "states": {"mined": 1, "signed": 1}, "unsettled": 1}  # fmt: skip
    missing = CliRunner().invoke(app, ["runs", "--journal", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no journal at" in missing.output
