"""SolanaPayoutAgent: many transfers packed into each transaction within the 1,232-byte
limit, SOL and SPL (by symbol), on the embedded devnet (issue 17)."""

from __future__ import annotations

import base64
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import SolanaPayoutAgent, SolanaPayoutReport
from anyio_workflow.agents.solana import PACKET_DATA_SIZE, pack
from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.errors import InvalidArgument
from anyio_workflow.rpc.transport import Payload, Transport
from anyio_workflow.solana import SolanaRpc, SolanaSigner
from anyio_workflow.solana.spl import associated_token_address

SOL = 10**9


class Sizes(Transport):
    """The devnet, with the size of every transaction sent kept."""

    def __init__(self, devnet: SolanaDevnet) -> None:
        self.inner = devnet.transport()
        self.endpoint = self.inner.endpoint
        self.sizes: list[int] = []

    async def send(self, payload: Payload) -> Any:
        for call in payload if isinstance(payload, list) else [payload]:  # batches too
            if call["method"] == "sendTransaction":
                self.sizes.append(len(base64.b64decode(call["params"][0])))
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _run(sol: SolanaDevnet, agent: SolanaPayoutAgent, node: Transport) -> Any:
    payer = SolanaSigner(bytes(sol.funded[0]))
    workflow = AsyncWorkflow([agent], AsyncWorkflowConfig(auto_store_proofs=True),
                             rpc={sol.chain_id: lambda: node}, solana_signer=payer)  # fmt: skip
    return await workflow.run("payroll", chain_id=1)


async def test_sol_payouts_are_packed_into_few_transactions_each_within_the_limit() -> None:
    sol = SolanaDevnet()
    vendors = [str(Keypair().pubkey()) for _ in range(50)]
    amounts = [(i + 1) * 1_000_000 for i in range(50)]
    node = Sizes(sol)
    agent = SolanaPayoutAgent(list(zip(vendors, amounts, strict=True)), chain_id=sol.chain_id)
    result = await _run(sol, agent, node)
    assert result.ok, result.error
    report = result.outcome(agent.name).output
    assert isinstance(report, SolanaPayoutReport)
    carried = [i for batch in report.batches for i in batch.payouts]
    assert carried == list(range(50))  # each payout once, in order
    assert 2 <= len(report.batches) <= 5  # ~20 transfers fit a transaction
    assert len(node.sizes) == len(report.batches)
    assert all(size <= PACKET_DATA_SIZE for size in node.sizes)
    assert max(node.sizes) > PACKET_DATA_SIZE - 60  # packed full, not one per transaction
    async with sol.client() as client:
        rpc = SolanaRpc(client)
        for vendor, amount in zip(vendors, amounts, strict=True):
            assert await rpc.get_balance(vendor) == amount
    assert result.audit is not None
    recorded = {t.hash for t in result.audit.record.transactions}
    assert recorded == {b.receipt.hash for b in report.batches}


async def test_spl_payouts_by_symbol_create_missing_token_accounts_once() -> None:
    sol = SolanaDevnet()
    payer = SolanaSigner(bytes(sol.funded[0]))
    known = str(Keypair().pubkey())  # already holds a token account
    mint = sol.create_mint(decimals=6, holders={payer.address: 10**12, known: 5},
                           symbol="USDC")  # fmt: skip
    fresh = [str(Keypair().pubkey()) for _ in range(12)]
    payouts = [(known, "12.5 USDC"), *[(v, Decimal("1.000001")) for v in fresh],
               (fresh[0], 7)]  # fmt: skip
    node = Sizes(sol)
    agent = SolanaPayoutAgent(payouts, mint="USDC", chain_id=sol.chain_id)
    result = await _run(sol, agent, node)
    assert result.ok, result.error
    assert all(size <= PACKET_DATA_SIZE for size in node.sizes)
    assert len(node.sizes) < len(payouts)
    async with sol.client() as client:
        rpc = SolanaRpc(client)

        async def held(owner: str) -> int:
            address = associated_token_address(Pubkey.from_string(owner), Pubkey.from_string(mint))
            return (await rpc.get_token_account_balance(str(address))).amount

        assert await held(known) == 5 + 12_500_000
        assert await held(fresh[0]) == 1_000_001 + 7  # its account created once, paid twice
        for vendor in fresh[1:]:
            assert await held(vendor) == 1_000_001
        assert await held(payer.address) == 10**12 - 12_500_000 - 12 * 1_000_001 - 7


def test_bad_payouts_are_refused_naming_the_payout() -> None:
    sol = SolanaDevnet()
    good = str(Keypair().pubkey())
    with pytest.raises(InvalidArgument, match="payouts: at least one"):
        SolanaPayoutAgent([], chain_id=sol.chain_id)
    with pytest.raises(InvalidArgument, match=r"payouts\[1\]: '0xabc'"):
        SolanaPayoutAgent([(good, 1), ("0xabc", 1)], chain_id=sol.chain_id)
    with pytest.raises(InvalidArgument, match=r"payouts\[0\].amount.*ETH"):
        SolanaPayoutAgent([(good, "2 ETH")], chain_id=sol.chain_id)
    with pytest.raises(InvalidArgument, match=r"payouts\[0\].amount: must be positive"):
        SolanaPayoutAgent({good: 0}, chain_id=sol.chain_id)
    with pytest.raises(InvalidArgument, match="mint: 'NOPE'"):
        SolanaPayoutAgent({good: 1}, mint="NOPE", chain_id=sol.chain_id)


PROGRAM = Pubkey.default()


@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=60),
    limit=st.integers(40, 200),
)
def test_packing_keeps_order_fits_each_transaction_and_fills_it(
    sizes: list[int], limit: int
) -> None:
    groups = [[Instruction(PROGRAM, bytes(n), [])] for n in sizes]

    def size(ixs: list[Instruction]) -> int:
        return sum(len(ix.data) for ix in ixs)

    packed = pack(groups, lambda ixs: size(ixs) <= limit)
    assert [i for batch in packed for i in batch] == list(range(len(sizes)))
    for batch, after in itertools.pairwise(packed):
        assert size([ix for i in batch for ix in groups[i]]) <= limit
        # greedy: the next payout did not fit in this transaction
        assert size([ix for i in [*batch, after[0]] for ix in groups[i]]) > limit
    assert size([ix for i in packed[-1] for ix in groups[i]]) <= limit
