"""The workflows the Temporal tests' worker processes serve:
``anyio-workflow worker --module tests.temporal.workers``. Their chain, keys and shared
directory come from the environment the test starts them with."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, RetryPolicy, register_action
from anyio_workflow.cli.demo import NativePayout
from anyio_workflow.compliance import ComplianceAgent, SafeTransferAgent
from anyio_workflow.evm import LocalSigner, NonceManagers
from anyio_workflow.temporal import TemporalApprovals

CHAIN = int(os.environ["AW_TEST_CHAIN"])
TREASURY = LocalSigner(os.environ["AW_TEST_KEY"])
SHARED = Path(os.environ["AW_TEST_DIR"])  # the machine's: journal and nonce leases
RETRY = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.5)


def _payroll(task: Any) -> list[NativePayout]:
    """The main job's payroll: one agent per vendor payout."""
    return [NativePayout(i, TREASURY) for i in range(len(task.params["payouts"]))]


register_action("temporal-payroll", _payroll)


def _workflow(agents: Any, **config: Any) -> AsyncWorkflow:
    return AsyncWorkflow(
        agents, AsyncWorkflowConfig(retry=RETRY, **config),
        rpc={CHAIN: os.environ["AW_TEST_RPC"]}, signer=TREASURY,
        journal=SHARED / "journal.db", nonces=NonceManagers(shared=SHARED / "nonces"),
    )  # fmt: skip


payroll = _workflow(None, max_workers=16)

if "AW_TEST_SAFE" in os.environ:
    safe = _workflow(
        [ComplianceAgent(os.environ["AW_TEST_SAFE"], approvals=TemporalApprovals(poll=0.2),
                         wait=120),
         SafeTransferAgent(os.environ["AW_TEST_SAFE"])],
    )  # fmt: skip
