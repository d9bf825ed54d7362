"""The seed's budget approval on a real Safe: 750,000 DAI executes only after 2 of 3
owners have signed.

    python examples/multisig_budget.py

A Safe 1.4.1 (deployed from its npm bytecode) with owners CFO, COO and CEO and threshold
2 holds 1,000,000 test DAI on the embedded devnet. The treasury's threshold is 500,000:
above it, the owners must approve. With the CFO's approval alone the run is vetoed,
naming the missing owners, and nothing is signed for broadcast; with the COO's too, the
budget moves through the Safe's execTransaction, and the run's record holds both
signatures.
"""

from __future__ import annotations

from typing import Any

import anyio
from _common import setup

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import AuditorAgent
from anyio_workflow.compliance import (
    ComplianceAgent,
    InMemoryApprovals,
    Safe,
    SafeTransferAgent,
    ScreeningAgent,
    TreasuryAgent,
    approve,
    deploy_safe,
    payment_of,
    safe_tx_for,
)
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc

MINT = function("mint(address,uint256)")
RECIPIENT = "0x00000000000000000000000000000000000B0D6E"  # the budget's holder


async def main() -> dict[str, Any]:
    chain = await setup(1, "ethereum", {"dai": ("TestToken", "Dai Stablecoin", "DAI", 18)})
    devnet, dai = chain.devnet, chain.contracts["dai"]
    # The seed's task; "token" says which DAI (a test token of this devnet's).
    task = {"type": "approve_budget", "amount": "750000 DAI", "recipient": RECIPIENT,
            "token": dai}  # fmt: skip
    cfo, coo, ceo = (LocalSigner("0x" + devnet.accounts[i].key.hex()) for i in (1, 2, 3))
    async with devnet.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, chain.treasury, chain.chain_id)
        safe = (await deploy_safe(sender, [cfo.address, coo.address, ceo.address], 2)).safe
        await sender.send(TxRequest(to=dai, data=MINT.calldata(safe, 1_000_000 * 10**18)))
        params = {k: v for k, v in task.items() if k != "type"}
        pending = await safe_tx_for(
            await payment_of(params, eth, chain.chain_id), Safe(safe, eth), chain.chain_id
        )
    approvals = InMemoryApprovals([approve(pending, cfo)])  # the CFO signs first
    compliance = ComplianceAgent(safe, approvals=approvals)
    workflow = AsyncWorkflow(
        [
            ScreeningAgent(["0x000000000000000000000000000000000000dEaD"], list_version="demo-1"),
            TreasuryAgent(threshold=500_000, token=dai, compliance=compliance),
            compliance,
            SafeTransferAgent(safe),
            AuditorAgent(signer=chain.treasury),
        ],
        rpc={chain.chain_id: devnet.transport},
        signer=chain.treasury,  # pays the gas of execTransaction; not an owner
    )
    vetoed = await workflow.run(task, chain_id=chain.chain_id)
    approvals.add(approve(pending, coo))  # the COO signs too: 2 of 3
    executed = await workflow.run(task, chain_id=chain.chain_id)
    return {"setup": chain, "safe": safe, "pending": pending, "vetoed": vetoed, "dai": dai,
            "executed": executed, "owners": (cfo, coo, ceo)}  # fmt: skip


if __name__ == "__main__":
    out = anyio.run(main)
    print(f"Safe {out['safe']} (CFO, COO, CEO; threshold 2)")
    print(f"with 1 approval:  {out['vetoed'].status.value}: {out['vetoed'].error}")
    executed = out["executed"]
    print(f"with 2 approvals: {executed.status.value}: {executed[0].hash}")
    if executed.audit is not None:
        print(f"record {executed.audit.cid}")
