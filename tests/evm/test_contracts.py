"""The project's contracts: artifacts match their sources, and they behave on both nodes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from anyio_workflow.contracts import artifact
from anyio_workflow.errors import ExecutionReverted
from anyio_workflow.evm.abi import decode_log, function
from anyio_workflow.rpc import EthRpc

from ..nodes import Node, deploy, transact

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(p.stem for p in (ROOT / "contracts").glob("*.sol"))


@pytest.mark.parametrize("name", NAMES)
def test_each_artifact_records_its_sources_hash(name: str) -> None:
    built = artifact(name)
    source = (ROOT / "contracts" / f"{name}.sol").read_bytes()
    assert built.source_sha256 == hashlib.sha256(source).hexdigest()
    assert built.compiler.startswith("0.8.28")
    assert built.bytecode.startswith("0x60")


def test_artifacts_match_a_fresh_compile() -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed (see README): it runs the pinned solc"
    result = subprocess.run(
        [node, "scripts/compile_contracts.mjs", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


async def test_the_token_mints_transfers_and_logs(node: Node) -> None:
    alice, bob = node.accounts[0].address, node.accounts[1].address
    abi = artifact("TestToken").abi
    async with node.client() as client:
        eth = EthRpc(client)
        token = await deploy(node, eth, "TestToken", "Test USDC", "USDC", 6)
        await transact(node, eth, token, function("mint", abi).encode(alice, 1_000_000))
        receipt = await transact(node, eth, token, function("transfer", abi).encode(bob, 250_000))
        (event,) = [decode_log(log, abi) for log in receipt["logs"]]
        assert (event.name, event.args) == (
            "Transfer",
            {"from": alice, "to": bob, "value": 250_000},
        )
        balance_of = function("balanceOf", abi)
        raw = await eth.call({"to": token, "data": balance_of.calldata(bob)})
        assert balance_of.decode_output(raw) == (250_000,)
        decimals = function("decimals", abi)
        raw = await eth.call({"to": token, "data": decimals.calldata()})
        assert decimals.decode_output(raw) == (6,)
        overdraw = function("transfer", abi).encode(alice, 10**9)
        with pytest.raises(ExecutionReverted) as info:
            await eth.call({"from": bob, "to": token, "data": "0x" + overdraw.hex()})
        assert (
            info.value.selector
            == "0x" + keccak(text="InsufficientBalance(address,uint256,uint256)")[:4].hex()
        )
        assert info.value.error_name == "InsufficientBalance"  # decoded from its ABI
        assert info.value.error_args[1:] == (250_000, 10**9)


async def test_reverts_decode(node: Node) -> None:
    abi = artifact("Reverter").abi
    async with node.client() as client:
        eth = EthRpc(client)
        reverter = await deploy(node, eth, "Reverter")

        async def call(data: bytes) -> bytes:
            return await eth.call({"to": reverter, "data": "0x" + data.hex()})

        assert function("ok", abi).decode_output(await call(function("ok", abi).encode())) == (7,)
        with pytest.raises(ExecutionReverted) as reason:
            await call(function("withReason", abi).encode())
        assert reason.value.reason == "vault is locked"
        with pytest.raises(ExecutionReverted) as custom:
            await call(function("withCustomError", abi).encode())
        assert custom.value.error_name == "Unauthorized"  # the artifact's ABI names it
        assert custom.value.reason is not None and custom.value.reason.startswith("Unauthorized(")
        assert (
            custom.value.selector == "0x" + keccak(text="Unauthorized(address,uint256)")[:4].hex()
        )
        with pytest.raises(ExecutionReverted) as panic:
            await call(function("withPanic", abi).encode(0))
        assert panic.value.panic_code == 0x12


async def test_the_aggregator_reports_rounds(node: Node) -> None:
    abi = artifact("MockAggregator").abi
    async with node.client() as client:
        eth = EthRpc(client)
        feed = await deploy(node, eth, "MockAggregator", 8, "ETH / USD")
        await transact(
            node, eth, feed, function("setRound", abi).encode(3_500 * 10**8, 1_700_000_000)
        )
        latest = function("latestRoundData", abi)
        raw = await eth.call({"to": feed, "data": latest.calldata()})
        assert latest.decode_output(raw) == (1, 3_500 * 10**8, 1_700_000_000, 1_700_000_000, 1)
