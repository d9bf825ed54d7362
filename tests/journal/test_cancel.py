"""A run cancelled at any moment: its record lists every transaction the chain shows from
its sender, with its receipt, and nothing the node ever had is missing (issue 15); what it
lists beyond them was never mined."""

from __future__ import annotations

from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from anyio_workflow import AsyncWorkflow, AuditorAgent, Task
from anyio_workflow.agents import AgentContext, NativeTransferAgent
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.evm import LocalSigner
from anyio_workflow.rpc import EthRpc
from anyio_workflow.storage import MemoryStore

from ..budget import examples


class Keeping(AuditorAgent):
    """The real auditor, keeping what it recorded: a cancelled run returns no result."""

    def __init__(self) -> None:
        super().__init__(store=MemoryStore())
        self.kept: list[Any] = []

    async def execute(self, task: Task, ctx: AgentContext) -> Any:
        summary = await super().execute(task, ctx)
        self.kept.append(summary)
        return summary


async def sent_on_chain(eth: EthRpc, sender: str) -> set[str]:
    hashes: set[str] = set()
    for number in range(await eth.block_number() + 1):
        block = await eth.get_block(number, full=True)
        assert block is not None
        hashes |= {tx["hash"] for tx in block["transactions"] if tx["from"].lower() == sender}
    return hashes


@settings(max_examples=examples(8, ci=30), deadline=None)
@given(delay=st.floats(0.0, 0.25), count=st.integers(1, 8))
async def test_a_run_cancelled_at_any_moment_records_what_the_chain_shows(
    delay: float, count: int
) -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    auditor = Keeping()
    agents = [NativeTransferAgent(devnet.accounts[1 + i].address, 10 + i) for i in range(count)]
    workflow = AsyncWorkflow(agents, rpc={devnet.chain_id: devnet.transport}, signer=signer,
                             auditor=auditor)  # fmt: skip
    with anyio.move_on_after(delay):
        await workflow.run("pay", chain_id=devnet.chain_id)
    (summary,) = auditor.kept  # recorded, whatever ended the run
    recorded = {t.hash: t for t in summary.record.transactions}
    async with devnet.client() as client:
        eth = EthRpc(client)
        on_chain = await sent_on_chain(eth, signer.address.lower())
        assert on_chain <= set(recorded)  # every transaction the chain shows is listed
        for tx_hash in on_chain:
            assert recorded[tx_hash].status == 1  # with its receipt: followed if need be
        for tx_hash in set(recorded) - on_chain:  # signed, and never mined
            # Either the node never got the bytes, or it holds them unmined: queued behind
            # a nonce whose broadcast the cancellation cut off (the revm devnet and anvil
            # show such a transaction; the py-evm devnet answers null until it leaves the
            # queue). The record says it has no status.
            seen = await eth.get_transaction(tx_hash)
            assert seen is None or seen["blockNumber"] is None
            assert recorded[tx_hash].status is None
