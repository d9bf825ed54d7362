"""Worker processes: the main job's payroll through two of them, one killed by SIGKILL
mid-run, pays every vendor exactly once; a Safe approval signalled after a worker died
and another took its place still completes the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from anyio_workflow import AgentStatus, RunStatus, WorkflowResult
from anyio_workflow.compliance import Safe, approve, deploy_safe, payment_of, safe_tx_for
from anyio_workflow.devnet import Anvil
from anyio_workflow.devnet.process import stop_process
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender, to_checksum
from anyio_workflow.rpc import EthRpc, JsonRpcClient
from anyio_workflow.temporal import (
    TemporalDevServer,
    connect,
    on_asyncio,
    result,
    send_approval,
    signalled,
    submit,
)
from anyio_workflow.testing import assert_exactly_once, assert_record_complete

from .conftest import queue

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = 2.0


@asynccontextmanager
async def worker_process(
    server: TemporalDevServer, task_queue: str, env: dict[str, str]
) -> AsyncIterator[Process]:
    """``anyio-workflow worker`` for ``tests.temporal.workers``, once it polls."""
    command = [sys.executable, "-m", "anyio_workflow", "worker", "--temporal", server.address,
               "--task-queue", task_queue, "--module", "tests.temporal.workers",
               "--heartbeat", str(HEARTBEAT)]  # fmt: skip
    process = await anyio.open_process(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL
    )
    try:
        assert process.stderr is not None
        seen = b""
        with anyio.fail_after(60):
            async for chunk in process.stderr:
                seen += chunk
                if b"worker: serving" in seen:
                    break
        assert b"worker: serving" in seen, seen.decode(errors="replace")[-2000:]
        yield process
    finally:
        await stop_process(process, grace=10)


async def cli(*args: str, env: dict[str, str] | None = None) -> str:
    """``anyio-workflow ARGS``: its standard output (it must succeed)."""
    done = await anyio.run_process(
        [sys.executable, "-m", "anyio_workflow", *args], cwd=ROOT,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode()


async def result_of(server: TemporalDevServer, run: str) -> WorkflowResult:
    temporal = await connect(server.address)
    with anyio.fail_after(120):
        return await result(temporal.get_workflow_handle(run))


async def signalled_to(server: TemporalDevServer, run: str) -> list[dict[str, Any]]:
    return await signalled(await connect(server.address), run)


def environment(node: Anvil, directory: Path, **extra: str) -> dict[str, str]:
    return {"AW_TEST_CHAIN": str(node.chain_id), "AW_TEST_RPC": node.url,
            "AW_TEST_KEY": "0x" + node.accounts[0].key.hex(), "AW_TEST_DIR": str(directory),
            **extra}  # fmt: skip


async def test_two_workers_one_killed_mid_run_pay_every_vendor_exactly_once(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    name = queue()
    async with Anvil(block_time=0.5) as node:  # receipts take a block: attempts overlap the kill
        env = environment(node, tmp_path)
        payouts = [{"chain_id": node.chain_id, "to": to_checksum(f"0x{0xFEE0000 + i:040x}"),
                    "amount": 10**15 + i} for i in range(40)]  # fmt: skip
        treasury = node.accounts[0].address
        async with JsonRpcClient(node.url) as client:
            eth = EthRpc(client)
            async with (
                worker_process(temporal_server, name, env) as first,
                worker_process(temporal_server, name, env),
            ):
                task_file = tmp_path / "payroll.json"
                task_file.write_text(json.dumps({"action": "temporal-payroll",
                                                 "params": {"payouts": payouts}}))  # fmt: skip
                submitted = await cli(
                    "submit", "--temporal", temporal_server.address, "--task-queue", name,
                    "--task-file", str(task_file), "--chain-id", str(node.chain_id),
                    "--workflow", "payroll",
                )  # fmt: skip
                run = submitted.strip()
                with anyio.fail_after(60):  # mid-run: some paid, most not yet
                    while await eth.get_transaction_count(treasury, "latest") < 5:  # noqa: ASYNC110
                        await anyio.sleep(0.05)
                first.kill()  # SIGKILL: no clean-up, its attempts die with it
                await first.wait()

                found = await on_asyncio(result_of, temporal_server, run)
            assert found.status is RunStatus.SUCCEEDED, found.error
            expected = [(p["to"], p["amount"]) for p in payouts]
            await assert_exactly_once(found, eth, expected, senders=[treasury])
            await assert_record_complete(found, eth)
            assert await eth.get_transaction_count(treasury, "latest") == len(payouts)
            # The kill happened mid-run: some attempts ran twice (on the second worker).
            assert any(len(o.attempts) > 1 for o in found.outcomes), "the kill came too late"


async def test_a_safe_approval_signalled_after_a_worker_restart_completes_the_run(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    name = queue()
    async with Anvil() as node:
        accounts = node.accounts
        payer = LocalSigner("0x" + accounts[0].key.hex())
        owners = [LocalSigner("0x" + a.key.hex()) for a in accounts[1:4]]
        to = to_checksum("0x" + "5a" * 20)
        async with JsonRpcClient(node.url) as client:
            eth = EthRpc(client)
            sender = TxSender(eth, payer, node.chain_id)
            safe = (await deploy_safe(sender, [o.address for o in owners], 2)).safe
            await sender.send(TxRequest(to=safe, value=10**18))
            params: dict[str, Any] = {"recipient": to, "amount": 10**17}
            tx = await safe_tx_for(await payment_of(params, eth, node.chain_id), Safe(safe, eth),
                                   node.chain_id)  # fmt: skip
            env = environment(node, tmp_path, AW_TEST_SAFE=safe)

            async def start() -> str:
                temporal = await connect(temporal_server.address)
                handle = await submit(temporal, {"action": "pay", "params": params},
                                      node.chain_id, task_queue=name, workflow="safe")  # fmt: skip
                await send_approval(temporal, handle.id, tx, approve(tx, owners[0]))
                return handle.id

            async with worker_process(temporal_server, name, env) as first:
                run = await on_asyncio(start)
                await anyio.sleep(1.0)  # the validator waits, heart-beating, for a second owner
                first.kill()
                await first.wait()

            task_file = tmp_path / "task.json"
            task_file.write_text(json.dumps({"action": "pay", "params": params,
                                             "chain_id": node.chain_id}))  # fmt: skip
            where = ("--safe", safe, "--rpc", f"{node.chain_id}={node.url}",
                     "--temporal", temporal_server.address, "--workflow-id", run)  # fmt: skip
            async with worker_process(temporal_server, name, env):
                # The second owner signs from the command line, after the restart.
                await cli(
                    "approve",
                    str(task_file),
                    *where,
                    env={"ANYIO_WORKFLOW_PRIVATE_KEY": "0x" + accounts[3].key.hex()},
                )
                shown = json.loads(await cli("approvals", str(task_file), *where, "--json"))
                assert shown["approved"] == [owners[0].address, owners[2].address]
                assert shown["missing"] == [owners[1].address] and shown["reached"]
                seen = await on_asyncio(signalled_to, temporal_server, run)
                assert [s["signer"] for s in seen] == [owners[0].address, owners[2].address]

                found = await on_asyncio(result_of, temporal_server, run)
            assert found.status is RunStatus.SUCCEEDED, found.error
            check = found.by_role(found.outcomes[0].role)[0]
            assert check.status is AgentStatus.SUCCEEDED and len(check.attempts) >= 2
            approved = {a["signer"] for a in check.output["approvals"]}
            assert approved == {owners[0].address, owners[2].address}
            assert await eth.get_balance(to) == 10**17  # paid once
            assert await Safe(safe, eth).nonce() == 1
