"""TxSender with a journal: signed bytes are durable before they can reach a node, and
every state is recorded (issue 15's rule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
