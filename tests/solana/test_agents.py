"""Solana in a run: SolTransferAgent beside an EVM transfer, on the embedded devnets, with
the transaction lifecycle (simulation, compute budget, priority fee, confirmation, a new
blockhash when the first expires) (issue 17)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import NativeTransferAgent, SolTransferAgent
from anyio_workflow.devnet import EvmDevnet, SolanaDevnet
from anyio_workflow.errors import InvalidArgument, SimulationFailed
from anyio_workflow.evm import LocalSigner
from anyio_workflow.rpc import FaultInjectingTransport
from anyio_workflow.rpc.transport import Payload, Transport
from anyio_workflow.solana import SolanaRpc, SolanaSigner
from anyio_workflow.solana.tx import SolanaSender

SOL = 10**9


async def test_one_run_pays_on_an_evm_chain_and_on_solana() -> None:
    evm, sol = EvmDevnet(chain_id=137, name="polygon"), SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    to_sol, to_evm = str(Keypair().pubkey()), "0x" + "5e" * 20
    agents = [
        NativeTransferAgent(to_evm, 12345, chain_id=137),
        SolTransferAgent(to_sol, "2.5 SOL", chain_id=sol.chain_id),
        SolTransferAgent(to_sol, Decimal("0.5"), chain_id=sol.chain_id, name="second"),
    ]
    workflow = AsyncWorkflow(
        agents, AsyncWorkflowConfig(),
        rpc={137: evm.transport, sol.chain_id: sol.transport},
        signer=LocalSigner("0x" + evm.accounts[0].key.hex()), solana_signer=payer,
    )  # fmt: skip
    result = await workflow.run("pay", chain_id=137)
    assert result.ok, result.error
    evm_receipt, sol_receipt, _ = result
    assert sol_receipt.chain_id == sol.chain_id and sol_receipt.status == 1
    assert sol_receipt.compute_unit_limit >= 150  # from the simulation, with its margin
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to_sol) == 3 * SOL
    async with evm.client() as client:
        from anyio_workflow.rpc import EthRpc

        assert await EthRpc(client).get_balance(to_evm) == 12345
    assert evm_receipt.chain_id == 137 and evm_receipt.status == 1
    assert result.audit is not None  # one record for both chains
    listed = {(t.chain_id, t.hash, t.status) for t in result.audit.record.transactions}
    assert listed == {(r.chain_id, r.hash, 1) for r in result}


async def test_nothing_is_sent_when_the_simulation_fails() -> None:
    sol = SolanaDevnet()
    broke = SolanaSigner.generate()  # no lamports: the fee alone fails
    faults = FaultInjectingTransport(sol.transport())
    async with sol.client() as _, _client(faults) as client:
        sender = SolanaSender(SolanaRpc(client), broke, sol.chain_id)
        agent = SolTransferAgent(str(Keypair().pubkey()), 1, chain_id=sol.chain_id)
        with pytest.raises(SimulationFailed):
            await sender.send(agent.build(broke))
    assert "sendTransaction" not in [method for method, _ in faults.log]


class Expiring(Transport):
    """A node that drops the first transaction it is sent and then lets its blockhash
    expire (as a congested cluster does): the sender must sign afresh, once."""

    def __init__(self, devnet: SolanaDevnet) -> None:
        self.devnet, self.inner = devnet, devnet.transport()
        self.endpoint = self.inner.endpoint
        self.dropped: list[str] = []

    async def send(self, payload: Payload) -> Any:
        if (
            isinstance(payload, dict)
            and payload["method"] == "sendTransaction"
            and not self.dropped
        ):
            import base64

            from solders.transaction import VersionedTransaction

            tx = VersionedTransaction.from_bytes(base64.b64decode(payload["params"][0]))
            self.dropped.append(str(tx.signatures[0]))
            self.devnet.svm.warp_to_slot(self.devnet.slot + 200)  # past its validity
            return {"jsonrpc": "2.0", "id": payload["id"], "result": self.dropped[-1]}
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _client(transport: Transport) -> Any:
    from anyio_workflow.rpc import JsonRpcClient

    return JsonRpcClient(transport, coalesce=False)


async def test_an_expired_blockhash_is_checked_then_signed_afresh_once() -> None:
    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    to = str(Keypair().pubkey())
    node = Expiring(sol)
    async with _client(node) as client:
        solana = SolanaRpc(client)
        sender = SolanaSender(solana, payer, sol.chain_id, poll_interval=0.01)
        receipt = await sender.send(SolTransferAgent(to, SOL, chain_id=sol.chain_id).build(payer))
        assert receipt.replaced == tuple(node.dropped) and receipt.hash not in node.dropped
        assert sender.journal == [*node.dropped, receipt.hash]
        assert await solana.get_balance(to) == SOL  # paid once


def test_bad_solana_agent_input_is_refused_before_anything_runs() -> None:
    with pytest.raises(InvalidArgument, match="not a base58 Solana address"):
        SolTransferAgent("0xabc", 1, chain_id=SolanaDevnet().chain_id)
    with pytest.raises(InvalidArgument, match="is not a Solana cluster"):
        SolTransferAgent(str(Keypair().pubkey()), 1, chain_id="eip155:1")
    with pytest.raises(InvalidArgument):
        SolTransferAgent(str(Keypair().pubkey()), "2 ETH", chain_id=SolanaDevnet().chain_id)


class RefusesOnce(Transport):
    """A node that refuses the first transaction sent with "Blockhash not found" (its
    blockhash aged out on the node's side): nothing of it was kept."""

    def __init__(self, devnet: SolanaDevnet) -> None:
        self.inner = devnet.transport()
        self.endpoint = self.inner.endpoint
        self.refused = 0

    async def send(self, payload: Payload) -> Any:
        sending = isinstance(payload, dict) and payload["method"] == "sendTransaction"
        if sending and not self.refused:
            self.refused += 1
            error = {"code": -32002, "message": "Transaction simulation failed: Blockhash "
                     "not found", "data": {"err": "BlockhashNotFound", "logs": []}}  # fmt: skip
            return {"jsonrpc": "2.0", "id": payload["id"], "error": error}
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_send_refused_for_its_blockhash_is_signed_afresh_and_not_kept() -> None:
    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    to = str(Keypair().pubkey())
    node = RefusesOnce(sol)
    async with _client(node) as client:
        sender = SolanaSender(SolanaRpc(client), payer, sol.chain_id, poll_interval=0.01)
        receipt = await sender.send(SolTransferAgent(to, SOL, chain_id=sol.chain_id).build(payer))
        assert node.refused == 1 and receipt.replaced == ()
        assert sender.journal == [receipt.hash]  # the refused bytes never reached a node
        assert await SolanaRpc(client).get_balance(to) == SOL


async def test_spl_payouts_create_the_recipients_token_account_once() -> None:
    from anyio_workflow.agents import SplTransferAgent
    from anyio_workflow.solana.spl import associated_token_address

    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    mint = Pubkey.from_string(sol.create_mint(decimals=6, holders={payer.address: 10**12}))
    source = associated_token_address(payer.pubkey, mint)
    vendor = Keypair().pubkey()
    agents = [
        SplTransferAgent(str(mint), str(vendor), Decimal("2.5"), chain_id=sol.chain_id),
        SplTransferAgent(str(mint), str(vendor), 1_000, chain_id=sol.chain_id, name="again"),
    ]
    workflow = AsyncWorkflow(agents, AsyncWorkflowConfig(max_workers=1, auto_store_proofs=False),
                             rpc={sol.chain_id: sol.transport}, solana_signer=payer)  # fmt: skip
    result = await workflow.run("pay", chain_id=1)
    assert result.ok, result.error
    async with sol.client() as client:
        solana = SolanaRpc(client)
        held = await solana.get_token_account_balance(str(associated_token_address(vendor, mint)))
        assert (held.amount, held.decimals) == (2_500_000 + 1_000, 6)
        left = await solana.get_token_account_balance(str(source))
        assert left.amount == 10**12 - 2_501_000
    refused = r"mint: 'not-a-mint' is not a base58 Solana address, nor a token symbol known"
    with pytest.raises(InvalidArgument, match=refused + r" on solana:\w+ \(known: none"):
        SplTransferAgent("not-a-mint", str(vendor), 1, chain_id=sol.chain_id)
    with pytest.raises(InvalidArgument, match="to: 'nobody' is not a base58 Solana address"):
        SplTransferAgent(str(mint), "nobody", 1, chain_id=sol.chain_id)


async def test_identical_transfers_in_one_run_are_two_payments() -> None:
    # Signed with the same blockhash, two identical transfers would be the same bytes and
    # the same signature: one transaction, the second refused as already processed.
    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    to = str(Keypair().pubkey())
    agents = [SolTransferAgent(to, SOL, chain_id=sol.chain_id, name=f"rent-{i}") for i in range(3)]
    workflow = AsyncWorkflow(agents, AsyncWorkflowConfig(auto_store_proofs=False),
                             rpc={sol.chain_id: sol.transport}, solana_signer=payer)  # fmt: skip
    result = await workflow.run("pay", chain_id=1)
    assert result.ok, result.error
    assert len({r.hash for r in result}) == 3
    async with sol.client() as client:
        assert await SolanaRpc(client).get_balance(to) == 3 * SOL


async def test_a_send_whose_answer_was_lost_is_confirmed_not_refused() -> None:
    # The node takes the transaction and the answer is lost; the client sends the same
    # bytes again and the node says "already processed": those are ours, landed.
    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    to = str(Keypair().pubkey())
    faults = FaultInjectingTransport(sol.transport(), on={"sendTransaction": ["drop_after"]})
    async with _client(faults) as client:
        sender = SolanaSender(SolanaRpc(client), payer, sol.chain_id, poll_interval=0.01)
        receipt = await sender.send(SolTransferAgent(to, SOL, chain_id=sol.chain_id).build(payer))
        assert receipt.status == 1 and sender.journal == [receipt.hash]
        sends = [method for method, _ in faults.log if method == "sendTransaction"]
        assert len(sends) == 2  # the lost one, and the retry the node had already
        assert await SolanaRpc(client).get_balance(to) == SOL


async def test_a_run_on_a_solana_cluster_and_an_evm_agent_that_needs_its_own_chain() -> None:
    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    to = str(Keypair().pubkey())
    workflow = AsyncWorkflow(
        [SolTransferAgent(to, SOL, chain_id=sol.chain_id)], AsyncWorkflowConfig(),
        rpc={sol.chain_id: sol.transport}, solana_signer=payer,
    )  # fmt: skip
    result = await workflow.run("pay", chain_id=sol.chain_id)
    assert result.ok, result.error
    assert result.task.chain_id == sol.chain_id
    # An EVM agent with no chain of its own, on a task whose chain is Solana: named.
    evm = AsyncWorkflow([NativeTransferAgent("0x" + "5e" * 20, 1)], AsyncWorkflowConfig(),
                        rpc={sol.chain_id: sol.transport})  # fmt: skip
    failed = await evm.run("pay", chain_id=sol.chain_id)
    assert not failed.ok
    assert isinstance(failed.error, InvalidArgument)
    assert "a Solana cluster; an EVM agent needs its own chain_id=" in str(failed.error)
