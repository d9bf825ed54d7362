"""TxSender with a journal: signed bytes are durable before they can reach a node, and
every state is recorded (issue 15's rule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from eth_utils.crypto import keccak

from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.errors import TransactionError
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender
from anyio_workflow.journal import Journal, MemoryJournal, SqliteJournal, TxState
from anyio_workflow.rpc import EthRpc, FaultInjectingTransport, JsonRpcClient
from anyio_workflow.rpc.transport import Payload, Transport


class Watching(Transport):
    """Checks, as each broadcast goes out, that the journal already holds its bytes."""

    def __init__(self, inner: Transport, journal: Journal) -> None:
        self.inner, self.journal = inner, journal
        self.endpoint = inner.endpoint
        self.broadcasts: list[str] = []

    async def send(self, payload: Payload) -> Any:
        if isinstance(payload, dict) and payload.get("method") == "eth_sendRawTransaction":
            tx_hash = "0x" + keccak(hexstr=payload["params"][0]).hex()
            durable = {h for e in self.journal.entries() for h in e.raw}
            assert tx_hash in durable, "broadcast before its bytes were in the journal"
            self.broadcasts.append(tx_hash)
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Journal:
    return MemoryJournal() if request.param == "memory" else SqliteJournal(tmp_path / "j.db")


async def test_a_send_is_journaled_from_intent_to_mined(journal: Journal) -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    watching = Watching(devnet.transport(), journal)
    async with JsonRpcClient(watching, coalesce=False) as client:
        sender = TxSender(EthRpc(client), signer, devnet.chain_id, durable=journal,
                          labels=("run-1", "payout"), poll_interval=0.01)  # fmt: skip
        receipt = await sender.send(TxRequest(to=devnet.accounts[1].address, value=5))
    (entry,) = journal.entries("run-1")
    assert entry.state is TxState.MINED and entry.mined == receipt.hash
    assert entry.agent == "payout" and entry.nonce == receipt.nonce
    assert watching.broadcasts == [receipt.hash] and receipt.hash in entry.raw
    assert journal.unsettled() == []


async def test_an_uncertain_broadcast_stays_signed_with_its_bytes(journal: Journal) -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    faults = FaultInjectingTransport(
        devnet.transport(), on={"eth_sendRawTransaction": ["drop"] * 3}
    )
    async with JsonRpcClient(Watching(faults, journal), retry=None, coalesce=False) as client:
        sender = TxSender(EthRpc(client), signer, devnet.chain_id, durable=journal,
                          poll_interval=0.01)  # fmt: skip
        with pytest.raises(TransactionError, match="is uncertain") as info:
            await sender.send(TxRequest(to=devnet.accounts[1].address, value=5))
    (entry,) = journal.unsettled()
    assert entry.state is TxState.SIGNED  # what a resume must reconcile, bytes and all
    assert list(entry.raw) == info.value.hashes


async def test_a_workflow_with_a_journal_path_records_every_transaction(tmp_path: Path) -> None:
    from anyio_workflow import AsyncWorkflow
    from anyio_workflow.agents import NativeTransferAgent

    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    agents = [NativeTransferAgent(devnet.accounts[i].address, 10 + i) for i in (1, 2, 3)]
    workflow = AsyncWorkflow(agents, rpc={devnet.chain_id: devnet.transport},
                             signer=signer, journal=tmp_path / "runs.db")  # fmt: skip
    result = await workflow.run("pay", chain_id=devnet.chain_id)
    assert result.ok, result.error
    reopened = SqliteJournal(tmp_path / "runs.db")
    entries = reopened.entries(result.run_id)
    assert {e.mined for e in entries} == {r.hash for r in result}
    assert all(e.state is TxState.MINED for e in entries) and len(entries) == 3


async def test_a_run_cut_by_its_deadline_still_records_what_it_sent() -> None:
    from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, RunStatus
    from anyio_workflow.agents import NativeTransferAgent
    from anyio_workflow.storage import MemoryStore

    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    async with devnet.client() as client:
        await client.request("evm_setAutomine", [False])  # nothing is mined: all wait
        agents = [NativeTransferAgent(devnet.accounts[i].address, 10 + i) for i in (1, 2, 3)]
        workflow = AsyncWorkflow(
            agents, AsyncWorkflowConfig(timeout=1.0), rpc={devnet.chain_id: devnet.transport},
            signer=signer, store=MemoryStore(),
        )  # fmt: skip
        result = await workflow.run("pay", chain_id=devnet.chain_id)
        assert result.status is RunStatus.TIMED_OUT
        audit = result.audit
        assert audit is not None and audit.stored
        recorded = {t.hash: t for t in audit.record.transactions}
        assert len(recorded) == 3  # every broadcast is in the record, receipt or not
        for tx_hash, entry in recorded.items():
            assert entry.status is None and entry.agent.startswith("NativeTransferAgent")
            assert await EthRpc(client).get_transaction(tx_hash) is not None  # the node has it


async def test_a_retry_in_the_same_process_sends_the_bytes_its_cancelled_attempt_signed(
    tmp_path: Path,
) -> None:
    """An attempt whose timeout strikes during its broadcast leaves signed bytes, durable
    and maybe never sent, on a nonce it keeps. Its retry in the same process must send
    those very bytes: signing the payment afresh on the next nonce paid it twice once a
    resume sent the first bytes, which filled the gap (issue 26)."""
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    to = devnet.accounts[1].address
    journal = SqliteJournal(tmp_path / "j.db")
    hangs = FaultInjectingTransport(devnet.transport(), on={"eth_sendRawTransaction": ["timeout"]})
    async with devnet.client() as chain, JsonRpcClient(hangs, retry=None, coalesce=False) as client:
        before = await EthRpc(chain).get_balance(to)

        def sender() -> TxSender:  # each attempt's, on the run's journal
            return TxSender(EthRpc(client), signer, devnet.chain_id, durable=journal,
                            labels=("run-1", "payout"), poll_interval=0.01,
                            receipt_timeout=5)  # fmt: skip

        with anyio.move_on_after(0.5) as attempt:  # the attempt's timeout
            await sender().send(TxRequest(to=to, value=5))
        assert attempt.cancelled_caught
        (signed,) = journal.unsettled()
        with anyio.fail_after(10):
            receipt = await sender().send(TxRequest(to=to, value=5))  # the retry
        assert receipt.hash in signed.raw and receipt.nonce == signed.nonce == 0
        # A later process resuming the run (once this one let go of it: flushed, as the
        # engine does before it releases a run) meets the mined intent and pays nothing.
        await journal.aclose()
        later = SqliteJournal(tmp_path / "j.db")
        resumed = TxSender(EthRpc(chain), signer, devnet.chain_id, durable=later,
                           labels=("run-1", "payout"), poll_interval=0.01)  # fmt: skip
        assert (await resumed.send(TxRequest(to=to, value=5))).hash == receipt.hash
        assert await EthRpc(chain).get_balance(to) == before + 5
        assert await EthRpc(chain).get_transaction_count(signer.address) == 1
        assert [e.state for e in later.entries("run-1")] == [TxState.MINED]
    await later.aclose()


async def test_an_attempt_that_failed_after_paying_is_retried_without_paying_again(
    tmp_path: Path,
) -> None:
    """The agent's send was mined, then its attempt failed (a timeout after the send, a
    read that failed): the retry, in the same process, meets the mined intent and reports
    its receipt. It took the payment for a new one and paid it again (issue 26: the
    property harness found it, with 4 ms attempt timeouts)."""
    from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, Role
    from anyio_workflow.errors import TransientError

    devnet = EvmDevnet()
    to = devnet.accounts[1].address
    receipts: list[str] = []

    class PaysThenFails(BaseAgent):  # type: ignore[type-arg]
        role = Role.EXECUTOR

        async def execute(self, task: Any, ctx: Any) -> Any:
            receipt = await ctx.sender(ctx.signer, devnet.chain_id).send(TxRequest(to=to, value=7))
            receipts.append(receipt.hash)
            if len(receipts) == 1:
                raise TransientError("the attempt failed after its payment was mined")
            return receipt

    async with devnet.client() as chain:
        before = await EthRpc(chain).get_balance(to)
        workflow = AsyncWorkflow(
            [PaysThenFails()], AsyncWorkflowConfig(retry={"attempts": 3, "base_delay": 0}),
            rpc={devnet.chain_id: devnet.transport}, journal=tmp_path / "j.db",
            signer=LocalSigner("0x" + devnet.accounts[0].key.hex()),
        )  # fmt: skip
        result = await workflow.run("pay", chain_id=devnet.chain_id)
        assert result.ok, result.error
        assert len(receipts) == 2 and receipts[0] == receipts[1]  # the same transaction
        assert await EthRpc(chain).get_balance(to) == before + 7
