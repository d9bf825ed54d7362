"""ComplianceAgent and SafeTransferAgent on a real Safe: the seed's 750,000 DAI budget is
vetoed with one approval of three and executes with two, the record holds both, and after
a veto nothing is signed for broadcast (issue 16)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, RunStatus
from anyio_workflow.compliance import (
    Approval,
    ComplianceAgent,
    InMemoryApprovals,
    SafeTransferAgent,
    SafeTx,
    ScreeningAgent,
    SpendLedger,
    TreasuryAgent,
    approve,
    deploy_safe,
)
from anyio_workflow.contracts import deploy
from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender, to_checksum
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc, FaultInjectingTransport, HttpTransport, JsonRpcClient
from anyio_workflow.storage import MemoryStore

from ..nodes import Chain, Node

MINT = function("mint(address,uint256)")
BALANCE = function("balanceOf(address) returns (uint256)")
DAI = 10**18
RECIPIENT = "0x" + "be" * 20


@dataclass
class Treasury:
    chain: Chain
    safe: str
    dai: str
    owners: list[LocalSigner]  # CFO, COO, CEO
    payer: LocalSigner

    def workflow(
        self, approvals: InMemoryApprovals, *extra: Any, **config: Any
    ) -> tuple[AsyncWorkflow, Any]:
        inner = (
            self.chain.rpc() if callable(self.chain.rpc) else HttpTransport(self.chain.url or "")
        )
        watched = FaultInjectingTransport(inner)
        compliance = ComplianceAgent(self.safe, approvals=approvals)
        agents = [
            *(e(compliance) if callable(e) else e for e in extra),
            compliance,
            SafeTransferAgent(self.safe),
        ]
        workflow = AsyncWorkflow(
            agents, AsyncWorkflowConfig(**config), rpc={self.chain.node.chain_id: lambda: watched},
            signer=self.payer, store=MemoryStore(),
        )  # fmt: skip
        return workflow, watched

    def task(self) -> dict[str, Any]:
        return {"type": "approve_budget", "amount": "750000 DAI", "recipient": RECIPIENT,
                "token": self.dai, "chain_id": self.chain.node.chain_id}  # fmt: skip

    async def pending(self) -> SafeTx:
        async with self.chain.node.client() as client:
            from anyio_workflow.compliance import Safe, payment_of, safe_tx_for

            eth = EthRpc(client)
            chain_id = self.chain.node.chain_id
            params = {k: v for k, v in self.task().items() if k not in ("type", "chain_id")}
            payment = await payment_of(params, eth, chain_id)
            return await safe_tx_for(payment, Safe(self.safe, eth), chain_id)

    async def dai_of(self, owner: str) -> int:
        async with self.chain.node.client() as client:
            raw = await EthRpc(client).call({"to": self.dai, "data": BALANCE.calldata(owner)})
            return int(BALANCE.decode_output(raw)[0])


@pytest.fixture
async def treasury(chain: Chain) -> Treasury:
    return await make_treasury(chain)


async def make_treasury(chain: Chain) -> Treasury:
    node = chain.node
    owners = [LocalSigner("0x" + a.key.hex()) for a in node.accounts[1:4]]
    payer = LocalSigner("0x" + node.accounts[0].key.hex())
    async with node.client() as client:
        sender = TxSender(EthRpc(client), payer, node.chain_id, poll_interval=0.01)
        safe = (await deploy_safe(sender, [o.address for o in owners], 2)).safe
        dai = await deploy(sender, "TestToken", "Dai Stablecoin", "DAI", 18)
        await sender.send(TxRequest(to=dai, data=MINT.calldata(safe, 1_000_000 * DAI)))
    return Treasury(chain, safe, dai, owners, payer)


async def test_one_approval_of_three_is_vetoed_and_nothing_is_signed(treasury: Treasury) -> None:
    cfo = treasury.owners[0]
    approvals = InMemoryApprovals([approve(await treasury.pending(), cfo)])
    workflow, watched = treasury.workflow(approvals)
    result = await workflow.run(treasury.task())
    assert result.status is RunStatus.VETOED
    reason = str(result.error)
    assert "1 of 2 approvals" in reason and cfo.address in reason
    assert all(o.address in reason for o in treasury.owners[1:])  # the missing, named
    assert result.outcome("SafeTransferAgent").status.value == "skipped"
    assert "eth_sendRawTransaction" not in [method for method, _ in watched.log]
    assert await treasury.dai_of(RECIPIENT) == 0


async def test_two_approvals_move_the_budget_and_the_record_holds_them(
    treasury: Treasury,
) -> None:
    tx = await treasury.pending()
    cfo, coo, _ = treasury.owners
    approvals = InMemoryApprovals([approve(tx, cfo), approve(tx, coo)])
    workflow, _ = treasury.workflow(approvals)
    result = await workflow.run(treasury.task())
    assert result.ok, result.error
    assert await treasury.dai_of(RECIPIENT) == 750_000 * DAI
    audit = result.audit
    assert audit is not None
    (validator,) = [a for a in audit.record.agents if a.name == "ComplianceAgent"]
    recorded = {a["signer"]: a["signature"] for a in validator.output["approvals"]}
    assert recorded == {o.address: "0x" + tx.sign(o).hex() for o in (cfo, coo)}
    assert validator.output["digest"] == "0x" + tx.digest().hex()


async def test_approvals_that_do_not_count_say_why(treasury: Treasury) -> None:
    tx = await treasury.pending()
    cfo, coo, ceo = treasury.owners
    stranger = LocalSigner("0x" + "44" * 32)
    other_nonce = tx.model_copy(update={"nonce": tx.nonce + 1})
    forged = Approval(signer=coo.address, signature=tx.sign(ceo), digest=tx.digest())
    approvals = InMemoryApprovals([
        approve(tx, cfo), approve(tx, cfo), approve(other_nonce, coo), forged,
        approve(tx, stranger),
    ])  # fmt: skip
    workflow, _ = treasury.workflow(approvals)
    result = await workflow.run(treasury.task())
    assert result.status is RunStatus.VETOED
    reason = str(result.error)
    assert "a second approval from the same owner" in reason
    assert "signed another transaction" in reason
    assert f"the signature is {ceo.address}'s, not the signer's" in reason
    assert "not an owner whose approvals count" in reason


async def test_the_validator_waits_for_the_approval_that_is_coming(treasury: Treasury) -> None:
    import anyio

    tx = await treasury.pending()
    cfo, coo, _ = treasury.owners
    approvals = InMemoryApprovals([approve(tx, cfo)])
    workflow, _ = treasury.workflow(approvals)
    workflow.agents = (
        ComplianceAgent(treasury.safe, approvals=approvals, wait=30),
        SafeTransferAgent(treasury.safe),
    )

    async def second_signer() -> None:
        await anyio.sleep(0.2)
        approvals.add(approve(tx, coo))

    async with anyio.create_task_group() as tg:
        tg.start_soon(second_signer)
        with anyio.fail_after(20):
            result = await workflow.run(treasury.task())
    assert result.ok, result.error
    assert await treasury.dai_of(RECIPIENT) == 750_000 * DAI


async def approved_twice(treasury: Treasury) -> InMemoryApprovals:
    tx = await treasury.pending()
    return InMemoryApprovals([approve(tx, o) for o in treasury.owners[:2]])


def no_broadcast(watched: Any) -> bool:
    return "eth_sendRawTransaction" not in [method for method, _ in watched.log]


async def test_the_treasury_vetoes_a_payment_over_its_per_transaction_limit(
    treasury: Treasury,
) -> None:
    limit = TreasuryAgent(threshold=500_000, token=treasury.dai, per_transaction=600_000)
    workflow, watched = treasury.workflow(await approved_twice(treasury), limit)
    result = await workflow.run(treasury.task())
    assert result.status is RunStatus.VETOED
    assert str(result.error) == "750,000 DAI is over the per-transaction limit of 600,000 DAI"
    assert no_broadcast(watched) and await treasury.dai_of(RECIPIENT) == 0


async def test_the_treasury_keeps_a_rolling_window(treasury: Treasury) -> None:
    ledger = SpendLedger()

    def limit(compliance: ComplianceAgent) -> TreasuryAgent:
        return TreasuryAgent(threshold=500_000, token=treasury.dai, compliance=compliance,
                             window=(1_000_000, 3600), ledger=ledger)  # fmt: skip

    first, _ = treasury.workflow(await approved_twice(treasury), limit)
    assert (await first.run(treasury.task())).ok
    second, watched = treasury.workflow(await approved_twice(treasury), limit)  # nonce 1
    result = await second.run(treasury.task())
    assert result.status is RunStatus.VETOED
    assert str(result.error) == (
        "750,000 DAI would make 1,500,000 DAI in 3600 s, over the window's limit of "
        "1,000,000 DAI (750,000 DAI already)"
    )
    assert no_broadcast(watched) and await treasury.dai_of(RECIPIENT) == 750_000 * DAI


async def test_over_the_threshold_without_compliance_is_vetoed(treasury: Treasury) -> None:
    lone = TreasuryAgent(threshold=500_000, token=treasury.dai)
    workflow, watched = treasury.workflow(await approved_twice(treasury), lone)
    result = await workflow.run(treasury.task())
    assert result.status is RunStatus.VETOED
    assert "over the treasury threshold of 500,000 DAI and no ComplianceAgent" in str(result.error)
    assert no_broadcast(watched)


async def test_a_limit_that_cannot_judge_a_payment_refuses_it(treasury: Treasury) -> None:
    """The seed's ``TreasuryAgent(threshold=500_000)`` (the chain's coin) before a
    750,000 DAI payment: it passed with ``{"judged": False}``; a limit fails closed."""
    coin_only = TreasuryAgent(threshold=500_000)
    workflow, watched = treasury.workflow(await approved_twice(treasury), coin_only)
    result = await workflow.run(treasury.task())
    assert result.status is RunStatus.VETOED
    assert "judges payments of ETH only, and this one is of DAI" in str(result.error)
    assert "TreasuryAgent with token='DAI'" in str(result.error)
    assert no_broadcast(watched) and await treasury.dai_of(RECIPIENT) == 0


async def test_screening_refuses_a_listed_recipient_and_contracts(
    treasury: Treasury, tmp_path: Path
) -> None:
    listed = tmp_path / "deny.txt"
    listed.write_text(f"# demo list\n{RECIPIENT}  # a listed vendor\n")
    screen = ScreeningAgent(listed, list_version="2026-11-26")
    workflow, watched = treasury.workflow(await approved_twice(treasury), screen)
    result = await workflow.run(treasury.task())
    assert result.status is RunStatus.VETOED
    assert str(result.error) == (
        f"recipient {to_checksum(RECIPIENT)} is on the deny-list (list version 2026-11-26)"
    )
    assert no_broadcast(watched)

    contracts = ScreeningAgent([], refuse_contracts=True)
    task = treasury.task() | {"recipient": treasury.dai}
    workflow, watched = treasury.workflow(await approved_twice(treasury), contracts)
    result = await workflow.run(task)
    assert result.status is RunStatus.VETOED and "is a contract" in str(result.error)
    assert no_broadcast(watched)

    clear = ScreeningAgent([], refuse_contracts=True, list_version="v1")
    workflow, _ = treasury.workflow(await approved_twice(treasury), clear)
    result = await workflow.run(treasury.task())
    assert result.ok, result.error
    decision = result.outcome("ScreeningAgent").output
    assert (decision["list_version"], decision["match"], decision["contract"]) == (
        "v1",
        False,
        False,
    )
    (recorded,) = [a for a in result.audit.record.agents if a.name == "ScreeningAgent"]
    assert set(recorded.output["match"]) == {"commitment"}  # sealed in the record


async def test_approval_files_from_the_command_line(tmp_path: Path) -> None:
    async with Anvil() as anvil:
        node = Node("anvil", anvil.chain_id, anvil.accounts, lambda: JsonRpcClient(anvil.url))
        await _approval_files(await make_treasury(Chain(node, anvil.url, anvil.url)), tmp_path)


async def _approval_files(treasury: Treasury, tmp_path: Path) -> None:
    import json

    import anyio.to_thread
    from typer.testing import CliRunner

    from anyio_workflow.cli import app
    from anyio_workflow.compliance import DirectoryApprovals

    task_file = tmp_path / "budget.json"
    task_file.write_text(json.dumps(treasury.task()))
    directory = tmp_path / "approvals"
    rpc = f"{treasury.chain.node.chain_id}={treasury.chain.url}"
    common = ["--safe", treasury.safe, "--rpc", rpc, "--directory", str(directory)]
    cli = CliRunner()

    def invoke(*args: str, key: str | None = None) -> Any:
        env = {"ANYIO_WORKFLOW_PRIVATE_KEY": key} if key else {}
        return cli.invoke(app, list(args), env=env)

    cfo, coo, ceo = treasury.owners
    keys = ["0x" + a.key.hex() for a in treasury.chain.node.accounts[1:3]]
    stranger = "0x" + "55" * 32
    signed = await anyio.to_thread.run_sync(
        lambda: invoke("approve", str(task_file), *common, key=keys[0])
    )
    assert signed.exit_code == 0, signed.output
    refused = await anyio.to_thread.run_sync(
        lambda: invoke("approve", str(task_file), *common, key=stranger)
    )
    assert refused.exit_code != 0 and "is not an owner" in str(refused.exception or refused.output)
    shown = await anyio.to_thread.run_sync(
        lambda: invoke("approvals", str(task_file), *common, "--json")
    )
    summary = json.loads(shown.stdout)
    assert summary["approved"] == [cfo.address] and not summary["reached"]
    assert summary["missing"] == [coo.address, ceo.address]
    await anyio.to_thread.run_sync(lambda: invoke("approve", str(task_file), *common, key=keys[1]))
    source = DirectoryApprovals(directory)
    workflow, _ = treasury.workflow(InMemoryApprovals())
    workflow.agents = (
        ComplianceAgent(treasury.safe, approvals=source),
        SafeTransferAgent(treasury.safe),
    )
    result = await workflow.run(treasury.task())
    assert result.ok, result.error
    assert await treasury.dai_of(RECIPIENT) == 750_000 * DAI


async def test_a_resumed_run_keeps_its_approvals_and_sends_the_approved_bytes(
    treasury: Treasury,
) -> None:
    from anyio_workflow.journal import MemoryJournal

    journal = MemoryJournal()
    task = treasury.task() | {"idempotency_key": "budget-2026-11"}
    first, _ = treasury.workflow(await approved_twice(treasury))
    first.journal = journal
    first.signer = LocalSigner("0x" + "66" * 32)  # no ether for gas: the transfer fails
    failed = await first.run(task)
    assert failed.status is RunStatus.FAILED
    assert failed.outcome("ComplianceAgent").status.value == "succeeded"
    assert await treasury.dai_of(RECIPIENT) == 0

    # The same key again, with no approvals at hand now: the run before had them.
    again, _ = treasury.workflow(InMemoryApprovals())
    again.journal = journal
    result = await again.run(task)
    assert result.ok, result.error
    assert result.outcome("ComplianceAgent").resumed
    assert await treasury.dai_of(RECIPIENT) == 750_000 * DAI


async def test_a_resumed_run_finds_the_approvals_in_its_validators_kept_output(
    treasury: Treasury,
) -> None:
    from anyio_workflow.journal import MemoryJournal

    journal = MemoryJournal()
    task = treasury.task() | {"idempotency_key": "budget-2026-12"}
    first, _ = treasury.workflow(await approved_twice(treasury))
    first.journal = journal
    # An executor that would send another amount than the one approved: refused.
    first.agents = (*first.agents[:-1], SafeTransferAgent(treasury.safe, amount="1 DAI"))
    failed = await first.run(task)
    assert failed.status is RunStatus.FAILED
    assert "is not the one its owners approved" in str(failed.error)

    again, _ = treasury.workflow(InMemoryApprovals())
    again.journal = journal
    result = await again.run(task)
    assert result.ok, result.error
    assert result.outcome("ComplianceAgent").resumed
    assert await treasury.dai_of(RECIPIENT) == 750_000 * DAI
