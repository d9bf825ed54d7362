"""Gas saved by batching: 100 ERC-20 payouts one transaction each, then through
``BatchTransferAgent``, on anvil.

Each side pays 100 fresh vendors (so every payout writes a zero balance to non-zero, as a
first payment does) the same amounts of a 6-decimal test USDC, from the same treasury, on
one anvil whose base fee is 0 and whose tip is fixed at 1 gwei, so that the fee paid is
the gas used at one price and the two sides compare. The batch side counts its approval.

    python benchmarks/gas_savings.py            # 100 payouts
    python benchmarks/gas_savings.py --quick    # the same (it takes a few seconds)
    python benchmarks/gas_savings.py --json [--rpc URL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _node import anvil_process

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import BatchTransferAgent
from anyio_workflow.contracts import deploy
from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import (
    CustomFees,
    LocalSigner,
    TxRequest,
    TxSender,
    to_checksum,
)
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc, JsonRpcClient

PAYOUTS = 100
GWEI = 10**9
MINT = function("mint(address,uint256)")
TRANSFER = function("transfer(address,uint256)")


def vendors(side: str) -> list[str]:
    return [to_checksum("0x" + hashlib.sha256(f"{side}-{i}".encode()).hexdigest()[:40])
            for i in range(PAYOUTS)]  # fmt: skip


async def measure(url: str, key: str) -> dict[str, Any]:
    amounts = [(1_000 + 37 * i) * 10**6 for i in range(PAYOUTS)]
    fees = CustomFees(2 * GWEI, 1 * GWEI)
    signer = LocalSigner(key)
    async with JsonRpcClient(url) as client:
        eth = EthRpc(client)
        chain_id = await eth.chain_id()
        sender = TxSender(eth, signer, chain_id, strategy="custom", custom_fees=fees)
        usdc = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        batcher = await deploy(sender, "BatchPayer")
        await sender.send(TxRequest(to=usdc, data=MINT.calldata(signer.address, 10**15)))

        one_by_one = []
        limiter = anyio.CapacityLimiter(32)

        async def pay(to: str, amount: int) -> None:
            async with limiter:
                data = TRANSFER.calldata(to, amount)
                one_by_one.append(await sender.send(TxRequest(to=usdc, data=data)))

        async with anyio.create_task_group() as tg:
            for to, amount in zip(vendors("single"), amounts, strict=True):
                tg.start_soon(pay, to, amount)

    agent = BatchTransferAgent(list(zip(vendors("batch"), amounts, strict=True)), token=usdc,
                               batcher=batcher, chunk_size=PAYOUTS, signer=signer)  # fmt: skip
    workflow = AsyncWorkflow(
        [agent],
        AsyncWorkflowConfig(gas_strategy="custom", custom_fees=fees, auto_store_proofs=False),
        rpc={chain_id: url},
    )
    result = await workflow.run("payroll", chain_id=chain_id)
    result.raise_for_status()
    report = result.outcome("BatchTransferAgent").output
    single_gas = sum(r.gas_used for r in one_by_one)
    single_fee = sum(r.fee_paid for r in one_by_one)
    return {
        "payouts": PAYOUTS,
        "individual_transactions": len(one_by_one),
        "individual_gas": single_gas,
        "individual_fee_wei": single_fee,
        "batched": report.batched,
        "batch_transactions": len(report.receipts),
        "batch_gas": report.gas_used,
        "batch_fee_wei": report.fee_paid,
        "batch_approval_gas": report.approval.gas_used if report.approval else 0,
        "gas_saved_pct": 100 * (1 - report.gas_used / single_gas),
        "fee_saved_pct": 100 * (1 - report.fee_paid / single_fee),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the same run (it is quick)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rpc", help="an already running anvil (default: start one)")
    args = parser.parse_args()
    key = "0x" + Anvil().accounts[3].key.hex()
    with anvil_process(args.rpc, base_fee=0) as url:
        figures = anyio.run(measure, url, key)
    figures["goals"] = {"gas_saved_pct": [">=", 41]}
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{PAYOUTS} ERC-20 payouts to fresh vendors on anvil (base fee 0, tip 1 gwei)")
    print(f"  one transaction each: {figures['individual_gas']:>10,} gas "
          f"{figures['individual_fee_wei'] / 1e18:.6f} ETH in fees")  # fmt: skip
    print(f"  batched ({figures['batch_transactions']} tx incl. approval): "
          f"{figures['batch_gas']:>10,} gas {figures['batch_fee_wei'] / 1e18:.6f} ETH")  # fmt: skip
    print(f"  gas saved {figures['gas_saved_pct']:.1f}%, fee saved {figures['fee_saved_pct']:.1f}%"
          " (goal: the seed's 41%)")  # fmt: skip


if __name__ == "__main__":
    main()
