from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
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
    assert roles == ["validator"] * 4 + ["executor"] * 10 + ["auditor"]
    assert all(o["status"] == "succeeded" for o in summary["outcomes"])
    # Real transfers on the three devnets, each confirmed: 6 native payouts, and per EVM
    # chain a USDC approval and one batch of 12; on Solana 12 USDC and 6 SOL payouts,
    # packed into a few transactions.
    receipts = summary["receipts"]
    evm = [r for r in receipts if r["chain"] != "solana"]
    assert len(evm) == 6 + 2 * 2 and len({r["hash"] for r in receipts}) == len(receipts)
    assert sorted(r["chain"] for r in evm) == ["ethereum"] * 5 + ["polygon"] * 5
    solana = [r for r in receipts if r["chain"] == "solana"]
    packing = summary["solana_packing"]
    assert packing["payouts"] == 12 + 6 and len(solana) == packing["transactions"] <= 4
    assert all(r["status"] == 1 for r in receipts)
    record_chains = {t["chain_id"] for t in _record(summary["cid"], tmp_path)["transactions"]}
    assert len(record_chains) == 3 and {1, 137} < record_chains  # one record, three chains
    assert summary["batching"]["payouts"] == 24 and summary["batching"]["transactions"] == 4
    # Measured, not estimated: single USDC transfers were sent after the run (one per
    # chain), and the saving is against their gas.
    batching, samples = summary["batching"], summary["samples"]
    single = [s["gas_used"] for s in samples if s["kind"] == "usdc"]
    assert len(single) == 2 and all(30_000 < gas < 80_000 for gas in single)
    assert batching["single_transfer_gas"] == single
    assert batching["one_by_one_measured"] == round(sum(single) / 2 * 24)
    expected = 100 * (1 - batching["gas_used"] / batching["one_by_one_measured"])
    assert summary["gas_saved_pct"] == pytest.approx(expected) and expected > 0
    assert "gas_saved_vs_estimate_pct" in batching  # the estimate is shown, and labelled

    # Concurrency hides latency: the run beats the same payouts one after another.
    def per_tx(chain: int | str) -> float:
        seconds = [s["seconds"] for s in samples if s["chain_id"] == chain]
        return sum(seconds) / len(seconds)

    (cluster,) = {s["chain_id"] for s in samples} - {1, 137}
    one_by_one = {1: 3 + 12, 137: 3 + 12, cluster: 12 + 6}  # payouts per chain
    expected_s = sum(per_tx(chain) * count for chain, count in one_by_one.items())
    assert summary["sequential_extrapolated_s"] == pytest.approx(expected_s)
    assert summary["wall_s"] < summary["sequential_extrapolated_s"]
    # The audit record is stored, and `verify` accepts it.
    verified = CliRunner().invoke(
        app, ["verify", summary["cid"], "--store", str(tmp_path), "--json"]
    )
    # Intact, but nobody said who should have signed it: exit 3, "not checked".
    assert verified.exit_code == 3, verified.output
    verdict = json.loads(verified.stdout)
    assert verdict["integrity"] and verdict["authorship"] == "not checked" and not verdict["ok"]
    treasury = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # the demo's auditor key
    verified = CliRunner().invoke(
        app, ["verify", summary["cid"], "--store", str(tmp_path), "--json", "--auditor", treasury]
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"]


def _record(cid: str, store: Path) -> Any:
    """The audit record the stored envelope ``cid`` signs."""
    from anyio_workflow.storage import CID, LocalStore
    from anyio_workflow.storage.records import get_record

    async def read() -> Any:
        local = LocalStore(store)
        envelope = await get_record(local, CID.parse(cid))
        return await get_record(local, envelope["record"])

    return anyio.run(read)


def test_a_demo_whose_record_cannot_be_stored_does_not_succeed() -> None:
    result = CliRunner().invoke(
        app, ["demo", "--agents", "2", "--batch", "2", "--json", "--store", "/proc/nope"]
    )
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert "record was not stored" in summary["error"]


def test_demo_rejects_a_bad_backend_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["demo", "--backend", "curio"])
    assert result.exit_code == 2
    assert "must be asyncio or trio" in result.output


WORKFLOW_FILE = """
from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import NativeTransferAgent

workflow = AsyncWorkflow([NativeTransferAgent("{to}", 12345)], rpc={{31337: "http://127.0.0.1:9"}})
task = {{"action": "pay", "chain_id": 31337}}
"""


async def test_run_executes_a_users_workflow_against_a_real_node(tmp_path: Path) -> None:
    from anyio_workflow.devnet import Anvil
    from anyio_workflow.rpc import EthRpc, JsonRpcClient

    async with Anvil() as anvil:
        to = anvil.accounts[8].address
        path = tmp_path / "payouts.py"
        path.write_text(WORKFLOW_FILE.format(to=to))
        key = "0x" + anvil.accounts[4].key.hex()
        args = ["run", f"{path}:workflow", "--rpc", f"31337={anvil.url}", "--json"]
        out = await anyio.to_thread.run_sync(
            lambda: CliRunner().invoke(app, args, env={"ANYIO_WORKFLOW_PRIVATE_KEY": key})
        )
        assert out.exit_code == 0, out.output
        summary = json.loads(out.stdout)
        assert summary["status"] == "succeeded" and len(summary["receipts"]) == 1
        assert key[2:] not in out.output
        async with JsonRpcClient(anvil.url) as client:
            receipt = await EthRpc(client).get_transaction_receipt(summary["receipts"][0]["hash"])
            assert receipt is not None and receipt["status"] == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["run", "nope.py:workflow"], {}, "no such file"),
        (["run", "{file}:workflow", "--rpc", "one=http://x"], {}, "CHAIN=URL"),
        (
            ["run", "{file}:workflow"],
            {"ANYIO_WORKFLOW_PRIVATE_KEY": "0x12"},
            "not a valid private key",
        ),
        (["run", "{file}:workflow", "--params", "{{"], {}, "not JSON"),
        (["run", "{file}:workflow", "--params", "[1,2]"], {}, "params must be a JSON object"),
        (
            ["run", "{file}:workflow", "--rpc", "1=ftp://user:s3cret@host/KEY"],
            {},
            "expected CHAIN=URL with an http(s) URL, got 1=ftp://host/***",
        ),
        (["run", "{file}:workflow", "--action", "bad action!"], {}, "action: String should"),
        (["run", "{file}:missing"], {}, "is not an AsyncWorkflow"),
        (
            [
                "verify",
                "baguqeerafvyrmqvxe2yeialcpsu7xlbs6xefgd5rsa6mjwycewdrpeq2jcaq",
                "--store",
                ".",
                "--rpc",
                "notaurl",
            ],
            {},
            "not an http(s) URL",
        ),
    ],
)
def test_run_rejects_bad_input_with_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    path = tmp_path / "flow.py"
    path.write_text(WORKFLOW_FILE.format(to="0x" + "11" * 20))
    args = [a.format(file=path) if "{file}" in a else a.replace("{{", "{") for a in args]
    out = CliRunner().invoke(app, args, env={**env, "COLUMNS": "250"})
    assert out.exit_code == 2, out.output
    assert message in " ".join(out.output.split()), out.output
    assert "Traceback" not in out.output and "s3cret" not in out.output
    assert "ExceptionGroup" not in out.output


def test_a_run_without_a_key_says_where_one_comes_from(tmp_path: Path) -> None:
    path = tmp_path / "flow.py"
    path.write_text(WORKFLOW_FILE.format(to="0x" + "11" * 20))
    out = CliRunner().invoke(
        app, ["run", f"{path}:workflow", "--json"], env={"ANYIO_WORKFLOW_PRIVATE_KEY": None}
    )
    assert out.exit_code == 1, out.output
    error = json.loads(out.stdout)["error"]
    assert "ANYIO_WORKFLOW_PRIVATE_KEY" in error and "--keystore" in error


async def test_running_a_run_that_succeeded_again_returns_at_once(tmp_path: Path) -> None:
    """``run --key K --journal J`` again, and ``resume K``, for a run that succeeded: they
    hung on an idle "all agents" bar (10 minutes seen) and, on Ctrl-C, said the run was
    interrupted (issue 27). The real CLI, in a subprocess, with its live display."""
    import os
    import sys

    from anyio_workflow.devnet import EvmDevnet

    devnet = EvmDevnet(chain_id=31337)
    path = tmp_path / "payouts.py"
    path.write_text(WORKFLOW_FILE.format(to=devnet.accounts[8].address))
    env = {**os.environ, "ANYIO_WORKFLOW_PRIVATE_KEY": "0x" + devnet.accounts[4].key.hex()}
    async with devnet.serve() as url:
        common = ["--rpc", f"31337={url}", "--journal", str(tmp_path / "j.db")]
        runs = [
            ["run", f"{path}:workflow", "--key", "payroll-1", *common],
            ["run", f"{path}:workflow", "--key", "payroll-1", *common],
            ["resume", "payroll-1", f"{path}:workflow", *common],
        ]
        for args in runs:
            with anyio.fail_after(60):
                done = await anyio.run_process(
                    [sys.executable, "-m", "anyio_workflow.cli", *args], env=env, check=False
                )
            said = done.stdout.decode() + done.stderr.decode()
            assert done.returncode == 0, said
            assert "succeeded" in said and "interrupted" not in said
        async with devnet.client() as client:  # paid once, whatever was run again
            count = await client.request("eth_getTransactionCount", [devnet.accounts[4].address,
                                                                     "latest"])  # fmt: skip
            assert int(count, 16) == 1


def test_the_version_is_one_command_away() -> None:
    from anyio_workflow import __version__

    out = CliRunner().invoke(app, ["--version"])
    assert out.exit_code == 0 and out.stdout.strip() == f"anyio-workflow {__version__}"


def test_no_commands_help_shows_restructuredtext_markup() -> None:
    """The help showed ``running`` with its backticks, broken where the source broke."""
    import typer.main

    commands = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert "run" in commands and "resume" in commands
    for name in [None, *commands]:
        out = CliRunner().invoke(app, [name, "--help"] if name else ["--help"], terminal_width=100)
        assert out.exit_code == 0, out.output
        assert "``" not in out.output, name
