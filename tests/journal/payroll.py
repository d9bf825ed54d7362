"""A payroll run with a journal, as a child process for the kill -9 tests:

    python payroll.py URL JOURNAL KEY COUNT

pays COUNT distinct recipients from anvil's first account, under idempotency key KEY,
recording in JOURNAL; prints one JSON line when done."""

from __future__ import annotations

import json
import sys

import anyio

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import NativeTransferAgent
from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import LocalSigner


def recipient(i: int) -> str:
    return "0x" + f"{0xFEE000 + i:040x}"


def amount(i: int) -> int:
    return 10**15 + i


async def main(url: str, journal: str, key: str, count: int) -> None:
    signer = LocalSigner("0x" + Anvil().accounts[0].key.hex())
    agents = [NativeTransferAgent(recipient(i), amount(i), name=f"pay{i}") for i in range(count)]
    workflow = AsyncWorkflow(
        agents, AsyncWorkflowConfig(max_workers=8, auto_store_proofs=False, timeout=120),
        rpc={31337: url}, signer=signer, journal=journal,
    )  # fmt: skip
    result = await workflow.run({"action": "payroll", "idempotency_key": key}, chain_id=31337)
    error = None if result.error is None else f"{type(result.error).__name__}: {result.error}"
    print(json.dumps({"status": result.status.value, "receipts": len(result), "error": error}))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
