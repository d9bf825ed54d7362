"""Audit records end to end: a workflow stores a signed record, anchors it on chain, and
`anyio-workflow verify` accepts it; tampering of each kind fails its own check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
from typer.testing import CliRunner

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import AuditorAgent, BaseAgent
from anyio_workflow.audit import (
    AnchorTarget,
    AuditRecord,
    Envelope,
    StandardMerkleTree,
    sign_record,
    verify_record,
)
from anyio_workflow.audit.record import LEAF_ENCODING
from anyio_workflow.cli import app
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.evm import LocalSigner, TxRequest
from anyio_workflow.rpc import EthRpc
from anyio_workflow.storage import CID, LocalStore, MemoryStore

from ..nodes import Chain, deploy


class Payout(BaseAgent):
    def __init__(self, signer: LocalSigner, to: str, amount: int) -> None:
        super().__init__("payout")
        self.signer, self.to, self.amount = signer, to, amount

    async def execute(self, task: Any, ctx: Any) -> Any:
        return await ctx.sender(self.signer).send(TxRequest(to=self.to, value=self.amount))


async def test_a_run_leaves_a_record_that_verify_accepts(chain: Chain, tmp_path: Path) -> None:
    node = chain.node
    payer = LocalSigner("0x" + node.accounts[1].key.hex())
    auditor_key = LocalSigner("0x" + node.accounts[2].key.hex())
    async with node.client() as client:
        anchor_address = await deploy(node, EthRpc(client), "AuditAnchor")
    store = LocalStore(tmp_path / "store")
    auditor = AuditorAgent(
        signer=auditor_key, store=store,
        anchor=AnchorTarget(node.chain_id, anchor_address, auditor_key),
    )  # fmt: skip
    amounts = [10**18 * 25, 3]  # 25 ETH in wei is past 64 bits: stored as a string
    agents = [Payout(payer, node.accounts[5 + i].address, a) for i, a in enumerate(amounts)]
    workflow = AsyncWorkflow([*agents, auditor], rpc={node.chain_id: chain.rpc})
    first = await workflow.run("payouts", chain_id=node.chain_id)
    second = await workflow.run("payouts", chain_id=node.chain_id)
    assert first.ok and second.ok
    audit = second.audit
    assert audit is not None and audit.stored and audit.anchor_error is None
    assert audit.record.previous == first.audit.cid if first.audit else False
    assert {t.hash for t in audit.record.transactions} == {r.hash for r in second}
    # One leaf per agent (the auditor aside) and per transaction: something to check below.
    assert len(audit.proofs) == len(agents) + len(second) and len(second) > 0
    for leaf_id, proof in audit.proofs.items():
        index = next(i for i, v in audit.tree.entries() if f"{v[0]}:{v[1]}" == leaf_id)
        assert StandardMerkleTree.verify(audit.root, LEAF_ENCODING, audit.tree.at(index), proof)

    async with node.client() as client:
        checks, record = await verify_record(
            audit.cid, store, auditor=auditor_key.address, eth=EthRpc(client),
            anchor=anchor_address,
        )  # fmt: skip
    assert [c.name for c in checks] == [
        "content", "signature", "merkle root", "chain", "anchor", "authorship",
    ]  # fmt: skip
    assert all(c.ok and c.checked for c in checks), checks
    async with node.client() as client:  # without --auditor, the anchor's sender decides
        checks, _ = await verify_record(audit.cid, store, eth=EthRpc(client))
    authorship = checks[-1]
    assert authorship.ok and authorship.checked and "the sender of its anchor" in authorship.detail
    assert record is not None and record.run_id == second.run_id

    if chain.url is not None:  # the command line, against the real node
        args = [
            "verify",
            str(audit.cid),
            "--store",
            str(tmp_path / "store"),
            "--json",
            "--auditor",
            auditor_key.address,
            "--rpc",
            chain.url,
            "--anchor",
            anchor_address,
        ]
        out = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(app, args))
        assert out.exit_code == 0, out.output
        verdict = json.loads(out.stdout)
        assert verdict["ok"] and len(verdict["checks"]) == 6


async def _recorded(store: MemoryStore, signer: LocalSigner) -> tuple[AuditorAgent, list[Any]]:
    class Step(BaseAgent):
        async def execute(self, task: Any, ctx: Any) -> Any:
            return {"done": task.params["n"]}

    auditor = AuditorAgent(signer=signer, store=store)
    workflow = AsyncWorkflow([Step(), auditor])
    results = [await workflow.run("step", params={"n": n}, chain_id=1) for n in range(3)]
    return auditor, results


async def test_each_kind_of_tampering_fails_its_check() -> None:
    store = MemoryStore()
    honest = LocalSigner("0x" + "11" * 32)
    _, results = await _recorded(store, honest)
    last = results[-1].audit
    assert last is not None
    checks, _ = await verify_record(last.cid, store, auditor=honest.address)
    assert all(c.ok for c in checks)

    # Re-signed by another key, claiming to be the auditor: the signature check fails.
    mallory = LocalSigner("0x" + "22" * 32)
    forged = Envelope(record=last.envelope.record, auditor=honest.address,
                      signature=sign_record(last.record, mallory).signature)  # fmt: skip
    forged_cid = await store.put(forged.encode(), codec="dag-json")
    verdict = {
        c.name: c.ok for c in (await verify_record(forged_cid, store, auditor=honest.address))[0]
    }
    assert verdict == {
        "content": True, "signature": False, "merkle root": True, "chain": True,
        "authorship": False,
    }  # fmt: skip

    # Rewritten and re-signed by an attacker under his own name: intact, and only the
    # authorship check can tell. Without an auditor to check against, it says so.
    rewritten = Envelope(record=last.envelope.record, auditor=mallory.address,
                         signature=sign_record(last.record, mallory).signature)  # fmt: skip
    rewritten_cid = await store.put(rewritten.encode(), codec="dag-json")
    checks, _ = await verify_record(rewritten_cid, store)
    # (its link to the previous record shows another auditor: that is all that differs)
    assert {c.name for c in checks if c.checked and not c.ok} == {"chain"}
    unchecked = [c for c in checks if not c.checked]
    assert [c.name for c in unchecked] == ["authorship"]
    assert mallory.address in unchecked[0].detail and "not checked" in unchecked[0].detail
    checks, _ = await verify_record(rewritten_cid, store, auditor=honest.address)
    assert {c.name: c.ok for c in checks}["authorship"] is False

    # The same record, encoded otherwise (not canonical): refused, not re-interpreted.
    loose = last.record.encode().replace(b'{"agents":', b'{ "agents":', 1)
    loose_record = await store.put(loose, codec="dag-json")
    loose_envelope = Envelope(record=loose_record, auditor=honest.address,
                              signature=honest.sign_message(str(loose_record)).hex())  # fmt: skip
    loose_cid = await store.put(loose_envelope.encode(), codec="dag-json")
    checks, record = await verify_record(loose_cid, store)
    assert [(c.name, c.ok) for c in checks] == [("content", False)] and record is None
    assert "not canonical" in checks[0].detail

    # Outcomes edited after the fact (and re-signed): the Merkle root no longer fits.
    edited = last.record.model_copy(
        update={
            "agents": [a.model_copy(update={"output": {"done": 99}}) for a in last.record.agents]
        }
    )
    await store.put(edited.encode(), codec="dag-json")
    resigned = sign_record(edited, honest)
    resigned_cid = await store.put(resigned.encode(), codec="dag-json")
    verdict = {c.name: c.ok for c in (await verify_record(resigned_cid, store))[0]}
    assert verdict["merkle root"] is False and verdict["signature"] is True

    # A broken chain link: the previous record is not there.
    orphan = last.record.model_copy(update={"previous": CID.of(b"nothing", "dag-json")})
    await store.put(orphan.encode(), codec="dag-json")
    orphan_cid = await store.put(sign_record(orphan, honest).encode(), codec="dag-json")
    verdict = {c.name: c.ok for c in (await verify_record(orphan_cid, store))[0]}
    assert verdict["chain"] is False

    # A block changed in the store: the content check fails, nothing else is trusted.
    store.blocks[last.record_cid] = store.blocks[last.record_cid].replace(
        b"succeeded", b"SUCCEEDED"
    )
    checks, record = await verify_record(last.cid, store)
    assert [(c.name, c.ok) for c in checks] == [("content", False)] and record is None


async def test_a_missing_anchor_is_a_failed_check() -> None:
    devnet = EvmDevnet()
    store = MemoryStore()
    _, results = await _recorded(store, LocalSigner("0x" + "33" * 32))
    audit = results[0].audit
    assert audit is not None
    async with devnet.client() as client:
        checks, _ = await verify_record(audit.cid, store, eth=EthRpc(client))
    anchor = next(c for c in checks if c.name == "anchor")
    assert not anchor.ok and "no Anchored event" in anchor.detail


async def test_without_auto_store_the_record_is_built_but_not_stored() -> None:
    store = MemoryStore()

    class Step(BaseAgent):
        async def execute(self, task: Any, ctx: Any) -> Any:
            return 1

    config = AsyncWorkflowConfig(auto_store_proofs=False)
    result = await AsyncWorkflow([Step(), AuditorAgent(store=store)], config).run("x", chain_id=1)
    assert result.audit is not None and not result.audit.stored
    assert store.blocks == {}
    assert AuditRecord.decode(result.audit.record.encode()) == result.audit.record


def test_verify_command_rejects_bad_input_with_exit_code_2() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["verify", "not-a-cid", "--store", "."]).exit_code == 2
    cid = str(CID.of(b"x", "dag-json"))
    assert runner.invoke(app, ["verify", cid, "--store", ".", "--kubo", "http://k"]).exit_code == 2
    assert runner.invoke(app, ["verify", cid, "--store", ".", "--auditor", "0x12"]).exit_code == 2
    # No store named: the directory runs here store records in (issue 27), where this
    # record is not: a failed content check, not a usage error.
    missing = runner.invoke(app, ["verify", cid])
    assert missing.exit_code == 1 and "content" in missing.output


def test_verify_command_fails_on_a_record_it_cannot_find(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        app, ["verify", str(CID.of(b"x", "dag-json")), "--store", str(tmp_path)]
    )
    assert out.exit_code == 1
    assert "content" in out.output and "FAILED" in out.output
