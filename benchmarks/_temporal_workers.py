"""The workflows benchmarks/temporal.py's worker processes serve (and its in-process
baseline runs): a payroll of one agent per payout (the main job's ``NativePayout``), paid
from the treasury the task names. Chain, keys and the machine's shared directory come
from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, register_action
from anyio_workflow.cli.demo import NativePayout
from anyio_workflow.evm import LocalSigner, NonceManagers

TREASURIES = [LocalSigner(key) for key in os.environ["AW_BENCH_KEYS"].split(",")]


def _payroll(task: Any) -> list[NativePayout]:
    treasury = TREASURIES[task.params["treasury"]]
    return [NativePayout(i, treasury) for i in range(len(task.params["payouts"]))]


register_action("bench-payroll", _payroll)


def make(shared: Path | None) -> AsyncWorkflow:
    """The payroll workflow; with ``shared``, as Temporal workers need it (nonce leases),
    else for one process."""
    directory = Path(os.environ["AW_BENCH_DIR"])
    return AsyncWorkflow(
        None, AsyncWorkflowConfig(max_workers=10),
        rpc={int(os.environ["AW_BENCH_CHAIN"]): os.environ["AW_BENCH_RPC"]},
        journal=directory / "journal.db",
        nonces=NonceManagers(shared=shared) if shared is not None else NonceManagers(),
    )  # fmt: skip


if os.environ.get("AW_BENCH_WORKER"):
    payroll = make(Path(os.environ["AW_BENCH_DIR"]) / "nonces")
