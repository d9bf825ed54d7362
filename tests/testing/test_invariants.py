"""Each invariant fails when what it checks does not hold, and names what it found."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from anyio_workflow import AsyncWorkflow, AuditorAgent
from anyio_workflow.agents import Erc20TransferAgent, NativeTransferAgent
from anyio_workflow.core import AgentOutcome, AgentStatus, Role, RunStatus, Task
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.errors import InvariantViolated
from anyio_workflow.evm import LocalSigner, to_checksum
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc
from anyio_workflow.storage import MemoryStore
from anyio_workflow.testing import (
    Payout,
    assert_exactly_once,
    assert_no_leaks,
    assert_record_complete,
    assert_settled,
    leak_baseline,
)
from anyio_workflow.workflow.result import WorkflowResult

from ..nodes import Node, deploy, transact

MINT = function("mint(address,uint256)")


def workflow(devnet: EvmDevnet, agents: list[Any]) -> AsyncWorkflow:
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    return AsyncWorkflow(agents, rpc={devnet.chain_id: devnet.transport}, signer=signer,
                         auditor=AuditorAgent(store=MemoryStore()))  # fmt: skip


async def send_outside_the_run(devnet: EvmDevnet, to: str, value: int) -> None:
    sender = devnet.accounts[0]
    async with devnet.client() as client:
        eth = EthRpc(client)
        tx = {
            "to": to, "value": value, "gas": 21_000, "chainId": devnet.chain_id, "type": 2,
            "nonce": await eth.get_transaction_count(sender.address),
            "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9,
        }  # fmt: skip
        await eth.wait_for_receipt(
            await eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
        )


async def test_exactly_once_and_the_record_catch_a_payment_made_again_outside_the_run() -> None:
    devnet = EvmDevnet()
    bob, carol = devnet.accounts[1].address, devnet.accounts[2].address
    payouts = [Payout(bob, 7), Payout(carol, 8)]
    result = await workflow(devnet, [NativeTransferAgent(p.to, p.amount) for p in payouts]).run(
        "pay", devnet.chain_id
    )
    await assert_exactly_once(result, devnet, payouts)
    await assert_record_complete(result, devnet)
    await send_outside_the_run(devnet, bob, 7)  # the same payment, a second time
    with pytest.raises(InvariantViolated, match=r"paid 2 times, 1 intended: Payout\(to='0x7099"):
        await assert_exactly_once(result, devnet, payouts)
    with pytest.raises(InvariantViolated, match="is on chain, not in the record"):
        await assert_record_complete(result, devnet)
    with pytest.raises(InvariantViolated, match="paid 0 times, 1 intended"):
        await assert_exactly_once(result, devnet, [*payouts, Payout(carol, 9)])
    # A failed run may have stopped before some payouts, unless all are required.
    await assert_exactly_once(result, devnet, [*payouts, Payout(bob, 7), Payout(carol, 9)],
                              require_all=False)  # fmt: skip


async def test_token_payouts_are_read_from_transfer_events() -> None:
    devnet = EvmDevnet()
    node = Node("devnet", devnet.chain_id, devnet.accounts, devnet.client)
    payer, bob = devnet.accounts[0].address, devnet.accounts[1].address
    async with devnet.client() as client:
        eth = EthRpc(client)
        token = to_checksum(await deploy(node, eth, "TestToken", "Test USDC", "USDC", 6))
        await transact(node, eth, token, MINT.encode(payer, 10**9))
    result = await workflow(devnet, [Erc20TransferAgent(token, bob, 1234)]).run(
        "pay", devnet.chain_id
    )
    assert result.ok, result.error
    await assert_exactly_once(result, devnet, [Payout(bob, 1234, token)])
    with pytest.raises(InvariantViolated, match="paid 1 times, 0 intended"):
        await assert_exactly_once(result, devnet, [Payout(bob, 1234)])  # not the coin


def test_settled_needs_a_reason_for_each_failure() -> None:
    task = Task(action="pay", chain_id=1)

    def result(status: RunStatus, *outcomes: AgentOutcome, error: Any = None) -> WorkflowResult:
        return WorkflowResult.build(run_id="r", task=task, status=status, outcomes=outcomes,
                                    events=(), started_at=0, finished_at=1, steps=0,
                                    error=error)  # fmt: skip

    ok = AgentOutcome("a", Role.EXECUTOR, AgentStatus.SUCCEEDED)
    assert_settled(result(RunStatus.SUCCEEDED, ok))
    failed = AgentOutcome("b", Role.EXECUTOR, AgentStatus.FAILED, error=ValueError("no funds"))
    assert_settled(result(RunStatus.FAILED, ok, failed, error=failed.error))
    silent = AgentOutcome("c", Role.EXECUTOR, AgentStatus.FAILED)
    with pytest.raises(InvariantViolated, match="c failed without a reason"):
        assert_settled(result(RunStatus.FAILED, ok, silent, error=ValueError("x")))
    pending = AgentOutcome("d", Role.EXECUTOR)
    with pytest.raises(InvariantViolated, match="d never finished"):
        assert_settled(result(RunStatus.SUCCEEDED, ok, pending))
    with pytest.raises(InvariantViolated, match="failed without an error"):
        assert_settled(result(RunStatus.FAILED, ok, failed))


async def test_no_leaks_sees_a_client_left_open_and_a_task_left_running() -> None:
    devnet = EvmDevnet()
    baseline = leak_baseline()
    client = devnet.client()
    await client.__aenter__()
    with pytest.raises(InvariantViolated, match="1 JsonRpcClient"):
        await assert_no_leaks(baseline)
    await client.__aexit__(None, None, None)
    await assert_no_leaks(baseline)
    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.sleep_forever, name="forgotten")
        with pytest.raises(InvariantViolated, match="tasks left running: forgotten"):
            await assert_no_leaks(baseline)
        tg.cancel_scope.cancel()
    await assert_no_leaks(baseline)
