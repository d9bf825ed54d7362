"""The payroll a child process runs for the property harness's process crashes
(:class:`~anyio_workflow.testing.faults.Crash` with ``process=True``)::

    anyio-workflow run .../anyio_workflow/testing/payroll.py:workflow --action payroll \\
        --key KEY --journal PATH --rpc CHAIN=URL

It pays what ``ANYIO_WORKFLOW_PAYROLL`` says (JSON: ``{"payouts": [[to, amount], ...],
"config": {...}}``), one :class:`~anyio_workflow.agents.NativeTransferAgent` each, as
:meth:`WorkflowEnv.payroll <anyio_workflow.testing.WorkflowEnv.payroll>` does in-process;
the key comes from ``ANYIO_WORKFLOW_PRIVATE_KEY``. The CLI loads it by its path, so it
imports by absolute names.
"""

from __future__ import annotations

import json
import os

from anyio_workflow.agents.transfer import NativeTransferAgent
from anyio_workflow.core.config import AsyncWorkflowConfig
from anyio_workflow.workflow.engine import AsyncWorkflow

__all__ = ["PAYROLL_ENV", "workflow"]

PAYROLL_ENV = "ANYIO_WORKFLOW_PAYROLL"


def workflow() -> AsyncWorkflow:
    spec = json.loads(os.environ[PAYROLL_ENV])
    agents = [NativeTransferAgent(to, int(amount)) for to, amount in spec["payouts"]]
    return AsyncWorkflow(agents, AsyncWorkflowConfig.model_validate(spec["config"]))
