"""``anyio-workflow devnet --json`` serves on loopback and stops cleanly on a signal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import anyio
import pytest

from anyio_workflow.rpc import EthRpc, JsonRpcClient
from anyio_workflow.solana import SolanaRpc, SolanaSigner


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_devnet_command_serves_then_exits_cleanly(stop: signal.Signals) -> None:
    command = [sys.executable, "-m", "anyio_workflow.cli", "devnet", "--json", "--solana"]
    command += ["--chain-id", "137"]
    async with await anyio.open_process(command, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        with anyio.fail_after(30):
            line = b""
            async for chunk in process.stdout:
                line += chunk
                if b"\n" in line:
                    break
        info = json.loads(line)
        assert info["chain_id"] == 137
        assert len(info["accounts"]) == 10
        assert info["url"].startswith("http://127.0.0.1:")
        async with JsonRpcClient(info["url"]) as client:
            eth = EthRpc(client)
            assert await eth.chain_id() == 137
            assert await eth.get_balance(info["accounts"][0]["address"]) == 10_000 * 10**18
        solana = info["solana"]
        assert solana["url"] == info["solana_url"]
        async with JsonRpcClient(solana["url"]) as client:
            rpc = SolanaRpc(client)
            assert await rpc.get_latest_blockhash()
            assert await rpc.chain_id() == solana["chain_id"]
            for account in solana["accounts"]:  # each key is the address's, and funded
                assert SolanaSigner(account["secret_key"]).address == account["address"]
                assert await rpc.get_balance(account["address"]) > 0
        process.send_signal(stop)
        with anyio.fail_after(15):
            assert await process.wait() == 0
