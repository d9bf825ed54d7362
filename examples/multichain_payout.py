"""One payroll across three chains at once: USDC on "ethereum" and "polygon", SOL and
SPL USDC on Solana, in one run with one audit record.

    python examples/multichain_payout.py

Each chain is an embedded devnet (two EVM devnets, one LiteSVM Solana devnet). The EVM
payrolls go through the BatchPayer contract; the Solana ones through SolanaPayoutAgent,
which packs as many transfers into each transaction as its 1,232 bytes allow. Validators
check the treasuries on all three chains first; the four payrolls then run concurrently;
the auditor records every transaction of every chain in one signed record.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import anyio
from _common import setup
from solders.keypair import Keypair

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import (
    AuditorAgent,
    BatchTransferAgent,
    RiskMonitorAgent,
    SolanaPayoutAgent,
)
from anyio_workflow.agents.risk import MinBalance
from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.evm import to_checksum
from anyio_workflow.solana import SolanaSigner

STAFF = 20  # per chain
EVM_STAFF = {
    name: [
        to_checksum("0x" + hashlib.sha256(f"{name}-{i}".encode()).hexdigest()[:40])
        for i in range(STAFF)
    ]
    for name in ("ethereum", "polygon")
}
USDC_PAY = [(1_000 + 25 * i) * 10**6 for i in range(STAFF)]  # base units, 6 decimals
SOL_PAY = [Decimal("0.25") + Decimal(i) / 100 for i in range(STAFF)]  # whole SOL


def solana_staff(seed: str) -> list[str]:
    """Stable Solana addresses for the example's staff."""
    return [str(Keypair.from_seed(hashlib.sha256(f"{seed}-{i}".encode()).digest()).pubkey())
            for i in range(STAFF)]  # fmt: skip


async def main() -> dict[str, Any]:
    ethereum = await setup(1, "ethereum", {"batcher": ("BatchPayer",)}, usdc=10**13)
    polygon = await setup(137, "polygon", {"batcher": ("BatchPayer",)}, usdc=10**13)
    sol = SolanaDevnet(name="solana")
    sol_treasury = SolanaSigner(bytes(sol.funded[0]))
    usdc_mint = sol.create_mint(decimals=6, holders={sol_treasury.address: 10**13},
                                symbol="USDC")  # fmt: skip
    sol_staff, spl_staff = solana_staff("sol"), solana_staff("spl")

    agents: list[Any] = []
    for chain in (ethereum, polygon):
        usdc = chain.contracts["usdc"]
        agents.append(RiskMonitorAgent(
            [MinBalance(chain.treasury.address, sum(USDC_PAY), token=usdc,
                        chain_id=chain.chain_id)],
            name=f"treasury@{chain.devnet.name}",
        ))  # fmt: skip
        agents.append(BatchTransferAgent(
            list(zip(EVM_STAFF[chain.devnet.name], USDC_PAY, strict=True)), token=usdc,
            batcher=chain.contracts["batcher"], chain_id=chain.chain_id,
            name=f"usdc@{chain.devnet.name}",
        ))  # fmt: skip
    sol_needed = [
        MinBalance(sol_treasury.address, sum(int(p * 10**9) for p in SOL_PAY) + 10**8,
                   chain_id=sol.chain_id),  # the payouts, and a margin for the fees
        MinBalance(sol_treasury.address, sum(USDC_PAY), token="USDC", chain_id=sol.chain_id),
    ]  # fmt: skip
    agents += [
        RiskMonitorAgent(sol_needed, name="treasury@solana"),
        SolanaPayoutAgent(
            list(zip(sol_staff, SOL_PAY, strict=True)), chain_id=sol.chain_id, name="sol@solana"
        ),
        SolanaPayoutAgent(
            [
                (who, f"{Decimal(pay).scaleb(-6)} USDC")
                for who, pay in zip(spl_staff, USDC_PAY, strict=True)
            ],
            mint="USDC",
            chain_id=sol.chain_id,
            name="usdc@solana",
        ),
        AuditorAgent(signer=ethereum.treasury),
    ]
    workflow = AsyncWorkflow(
        agents,
        rpc={
            1: ethereum.devnet.transport,
            137: polygon.devnet.transport,
            sol.chain_id: sol.transport,
        },
        signer=ethereum.treasury,  # the same test key funds both EVM devnets
        solana_signer=sol_treasury,
    )
    result = await workflow.run("multichain_payroll", chain_id=1)
    result.raise_for_status()
    return {
        "result": result, "ethereum": ethereum, "polygon": polygon, "solana": sol,
        "usdc_mint": usdc_mint, "sol_staff": sol_staff, "spl_staff": spl_staff,
    }  # fmt: skip


if __name__ == "__main__":
    out = anyio.run(main)
    result = out["result"]
    for outcome in result.outcomes:
        receipts = getattr(outcome.output, "receipts", ())
        if receipts:
            chains = sorted({str(r.chain_id) for r in receipts})
            print(f"{outcome.agent:14} {len(receipts)} transaction(s) on {', '.join(chains)}")
    record = result.audit.record
    print(f"one audit record: {result.audit.cid}, {len(record.transactions)} transactions, "
          f"chains {sorted({str(t.chain_id) for t in record.transactions})}")  # fmt: skip
