"""A payroll workflow for the kill -9 tests, run through the command line:

    anyio-workflow run tests/journal/payroll.py:workflow --action payroll --chain-id CHAIN
        --key KEY --journal PATH --rpc CHAIN=URL --json

pays ``PAYROLL_COUNT`` distinct recipients (default 50) from the key in
ANYIO_WORKFLOW_PRIVATE_KEY, eight at a time."""

from __future__ import annotations

import os

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import NativeTransferAgent


def recipient(i: int) -> str:
    return "0x" + f"{0xFEE000 + i:040x}"


def amount(i: int) -> int:
    return 10**15 + i


def workflow() -> AsyncWorkflow:
    count = int(os.environ.get("PAYROLL_COUNT", "50"))
    agents = [NativeTransferAgent(recipient(i), amount(i), name=f"pay{i}") for i in range(count)]
    config = AsyncWorkflowConfig(max_workers=8, auto_store_proofs=False, timeout=120)
    return AsyncWorkflow(agents, config)
