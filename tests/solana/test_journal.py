"""Solana sends in the journal (issue 17, with issue 15's rule): the signed bytes are
durable before they reach a node; a resumed run reports a signature that landed, sends
bytes that may still land again as they are, and signs afresh only what expired unseen;
what a run sent is in its record whatever became of its agent."""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any

import anyio
import pytest
from solders.keypair import Keypair
from solders.transaction import VersionedTransaction

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import SolTransferAgent
from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.journal import Journal, MemoryJournal, SqliteJournal, TxState
from anyio_workflow.rpc import JsonRpcClient
from anyio_workflow.rpc.transport import Payload, Transport
from anyio_workflow.solana import SolanaRpc, SolanaSigner
from anyio_workflow.solana.tx import SolanaSender

SOL = 10**9


def _signature(payload: dict[str, Any]) -> str:
    tx = VersionedTransaction.from_bytes(base64.b64decode(payload["params"][0]))
    return str(tx.signatures[0])


class Node(Transport):
    """The devnet, watched: every ``sendTransaction`` is checked against the journal
    (its bytes must be durable already) and counted. ``swallow`` makes the node hang on
    the next send without passing it on (a crash between signing and the broadcast);
    ``hang_after_send`` passes it on and hangs (a crash after the broadcast)."""

    def __init__(self, devnet: SolanaDevnet, journal: Journal) -> None:
        self.inner, self.journal = devnet.transport(), journal
        self.endpoint = self.inner.endpoint
        self.sent: list[str] = []
        self.swallow = self.hang_after_send = False
        self.hung = anyio.Event()

    async def send(self, payload: Payload) -> Any:
        if isinstance(payload, dict) and payload["method"] == "sendTransaction":
            signature = _signature(payload)
            durable = {h for e in self.journal.entries() for h in e.raw}
            assert signature in durable, "sent before its bytes were in the journal"
            if self.swallow:
                self.hung.set()
                await anyio.sleep_forever()
            self.sent.append(signature)
            answer = await self.inner.send(payload)
            if self.hang_after_send:
                self.hung.set()
                await anyio.sleep_forever()
            return answer
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Journal:
    return MemoryJournal() if request.param == "memory" else SqliteJournal(tmp_path / "j.db")


async def _send(node: Node, journal: Journal, payer: SolanaSigner, to: str, sol: SolanaDevnet,
                *, cut: bool = False) -> Any:  # fmt: skip
    """One process's send of 1 SOL to ``to`` for the agent "payout" of run "run-1";
    ``cut``: the process dies once the node hangs (its task group is cancelled)."""
    async with JsonRpcClient(node, coalesce=False) as client:
        sender = SolanaSender(SolanaRpc(client), payer, sol.chain_id, poll_interval=0.01,
                              durable=journal, labels=("run-1", "payout"))  # fmt: skip
        instructions = SolTransferAgent(to, SOL, chain_id=sol.chain_id).build(payer)
        intent = {"sol": to, "lamports": SOL}
        if not cut:
            return await sender.send(instructions, intent=intent)
        async with anyio.create_task_group() as tg:
            tg.start_soon(functools.partial(sender.send, instructions, intent=intent))
            await node.hung.wait()
            tg.cancel_scope.cancel()
        await journal.aclose()
        return sender


async def test_a_send_is_journaled_from_intent_to_landed(journal: Journal) -> None:
    sol = SolanaDevnet()
    payer, to = SolanaSigner(bytes(sol.funded[0])), str(Keypair().pubkey())
    node = Node(sol, journal)
    receipt = await _send(node, journal, payer, to, sol)
    (entry,) = journal.entries("run-1")
    assert entry.state is TxState.MINED and entry.mined == receipt.hash
    assert entry.chain_id == sol.chain_id and entry.account == payer.address
    assert node.sent == [receipt.hash] and receipt.hash in entry.raw
    async with sol.client() as client:  # the bytes' expiry, in the nonce's place
        height = await SolanaRpc(client).get_block_height()
    assert height < entry.nonce <= height + 151  # type: ignore[operator]
    assert entry.gas == receipt.compute_unit_limit
    assert journal.unsettled() == []


async def test_a_resumed_send_that_landed_is_reported_not_paid_again(tmp_path: Path) -> None:
    sol = SolanaDevnet()
    first = SqliteJournal(tmp_path / "j.db")
    payer, to = SolanaSigner(bytes(sol.funded[0])), str(Keypair().pubkey())
    node = Node(sol, first)
    node.hang_after_send = True  # it lands; the process dies before it hears so
    await _send(node, first, payer, to, sol, cut=True)
    (signature,) = node.sent
    (entry,) = first.unsettled()
    assert entry.hashes == (signature,)
    second = SqliteJournal(tmp_path / "j.db")  # the next process
    again = Node(sol, second)
    receipt = await _send(again, second, payer, to, sol)
    assert receipt.hash == signature and again.sent == []  # nothing sent again
    assert second.entry(entry.intent).state is TxState.MINED
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to) == SOL  # paid once


async def test_a_send_that_landed_and_was_recorded_is_met_by_a_retry(journal: Journal) -> None:
    """The send landed and the journal says mined; its attempt then failed, and the
    retry (:meth:`Journal.retake`, as the engine calls it) sends the same request: it
    reports the landed signature, pays nothing, and records nothing again (recording
    ``mined`` twice was refused: a resume met the same refusal)."""
    sol = SolanaDevnet()
    payer, to = SolanaSigner(bytes(sol.funded[0])), str(Keypair().pubkey())
    node = Node(sol, journal)
    first = await _send(node, journal, payer, to, sol)
    journal.retake("run-1", "payout")
    retry = Node(sol, journal)
    again = await _send(retry, journal, payer, to, sol)
    assert again.hash == first.hash and retry.sent == []  # nothing sent again
    assert [e.state for e in journal.entries("run-1")] == [TxState.MINED]
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to) == SOL  # paid once


async def test_resumed_bytes_that_may_still_land_are_sent_again_as_they_are(tmp_path: Path) -> None:
    sol = SolanaDevnet()
    first = SqliteJournal(tmp_path / "j.db")
    payer, to = SolanaSigner(bytes(sol.funded[0])), str(Keypair().pubkey())
    node = Node(sol, first)
    node.swallow = True  # signed and journaled; the process dies before the node has it
    await _send(node, first, payer, to, sol, cut=True)
    assert node.sent == []
    (entry,) = first.unsettled()
    second = SqliteJournal(tmp_path / "j.db")  # the next process
    again = Node(sol, second)
    receipt = await _send(again, second, payer, to, sol)
    assert again.sent == [entry.hashes[0]] == [receipt.hash]  # the same bytes
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to) == SOL


async def test_resumed_bytes_that_expired_unseen_are_signed_afresh_once(tmp_path: Path) -> None:
    sol = SolanaDevnet()
    first = SqliteJournal(tmp_path / "j.db")
    payer, to = SolanaSigner(bytes(sol.funded[0])), str(Keypair().pubkey())
    node = Node(sol, first)
    node.swallow = True
    await _send(node, first, payer, to, sol, cut=True)
    (entry,) = first.unsettled()
    sol.svm.warp_to_slot(sol.slot + 200)  # past the bytes' last valid block height
    second = SqliteJournal(tmp_path / "j.db")  # the next process
    again = Node(sol, second)
    receipt = await _send(again, second, payer, to, sol)
    assert receipt.hash not in entry.hashes and again.sent == [receipt.hash]
    assert receipt.replaced == entry.hashes  # the expired signature stays known
    resumed = second.entry(entry.intent)  # the same intent, signed again
    assert resumed.state is TxState.MINED and resumed.hashes == (*entry.hashes, receipt.hash)
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to) == SOL


class HangsOnce(Transport):
    """Passes everything on, but the first ``getSignatureStatuses`` never answers: the
    agent gives up waiting for a transaction that did land."""

    def __init__(self, devnet: SolanaDevnet) -> None:
        self.inner = devnet.transport()
        self.endpoint = self.inner.endpoint
        self.hung = False

    async def send(self, payload: Payload) -> Any:
        statuses = isinstance(payload, dict) and payload["method"] == "getSignatureStatuses"
        if statuses and not self.hung:
            self.hung = True
            await anyio.sleep_forever()
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_signature_whose_agent_gave_up_is_in_the_record() -> None:
    sol = SolanaDevnet()
    payer, to = SolanaSigner(bytes(sol.funded[0])), str(Keypair().pubkey())
    node = HangsOnce(sol)
    workflow = AsyncWorkflow(
        [SolTransferAgent(to, SOL, chain_id=sol.chain_id)],
        AsyncWorkflowConfig(timeout=2),
        rpc={sol.chain_id: lambda: node}, solana_signer=payer,
    )  # fmt: skip
    result = await workflow.run("pay", chain_id=1)
    assert not result.ok and node.hung
    assert result.audit is not None
    (listed,) = result.audit.record.transactions
    assert listed.chain_id == sol.chain_id and listed.status == 1  # followed, found
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to) == SOL
