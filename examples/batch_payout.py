"""A payout to 100 vendors in test USDC, batched: a few transactions instead of 100.

    python examples/batch_payout.py

The BatchTransferAgent estimates both ways (one transaction per vendor, or the project's
BatchPayer contract with up to 50 payouts a transaction), batches because it is cheaper,
and reports which vendor went in which transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
from _common import setup

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import AuditorAgent, BatchTransferAgent, RiskMonitorAgent
from anyio_workflow.agents.risk import MinBalance
from anyio_workflow.evm import to_checksum

VENDORS = [
    to_checksum("0x" + hashlib.sha256(f"vendor-{i}".encode()).hexdigest()[:40]) for i in range(100)
]
AMOUNTS = [(1_000 + 37 * i) * 10**6 for i in range(100)]  # USDC, 6 decimals


async def main() -> dict[str, Any]:
    chain = await setup(1, "ethereum", {"batcher": ("BatchPayer",)}, usdc=10**14)
    usdc, batcher = chain.contracts["usdc"], chain.contracts["batcher"]
    workflow = AsyncWorkflow(
        [
            RiskMonitorAgent([MinBalance(chain.treasury.address, sum(AMOUNTS), token=usdc)]),
            BatchTransferAgent(
                list(zip(VENDORS, AMOUNTS, strict=True)),
                token=usdc,
                batcher=batcher,
                chunk_size=50,
                name="payroll",
            ),
            AuditorAgent(signer=chain.treasury),
        ],
        rpc={chain.chain_id: chain.devnet.transport},
        signer=chain.treasury,
    )
    result = await workflow.run("batch_payout", chain_id=chain.chain_id)
    result.raise_for_status()
    report = result.outcome("payroll").output
    return {"setup": chain, "result": result, "report": report}


if __name__ == "__main__":
    out = anyio.run(main)
    report = out["report"]
    approval = 1 if report.approval else 0
    print(f"paid {len(VENDORS)} vendors in {len(report.transactions)} batch transactions", end="")
    print(f" (+ {approval} approval)")
    for tx in report.transactions:
        first, last = tx.payouts[0], tx.payouts[-1]
        print(f"  {tx.receipt.hash}  vendors {first}..{last}  gas {tx.receipt.gas_used:,}")
    print(f"gas used {report.gas_used:,}; estimated one by one {report.estimated_individual_gas:,}")
    print(f"audit record: {out['result'].audit.cid}")
