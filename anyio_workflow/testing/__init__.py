"""Test helpers for users of anyio-workflow: property-test a workflow under drawn faults
and interleavings (:func:`workflow_property`, :func:`faults`), check what must hold
(:func:`assert_exactly_once`, :func:`assert_settled`, :func:`assert_record_complete`,
:func:`assert_no_leaks`), a stateful template (:class:`WorkflowMachine`), hypothesis
strategies for the library's values, a virtual clock, and a JSON-RPC proxy that injects
faults from outside the process (:class:`RpcProxy`).

Compose the strategies in your own property tests::

    from hypothesis import given
    from anyio_workflow.testing import strategies as aws

    @given(task=aws.tasks())
    def test_my_agent_accepts_any_task(task): ...

See docs/testing.md for a whole workflow property in 20 lines.
"""

from . import strategies
from .clock import VirtualClock
from .faults import (
    Crash,
    FaultAt,
    FaultSchedule,
    FaultState,
    Latency,
    Outage,
    Reorg,
    ScheduledTransport,
    faults,
)
from .invariants import (
    Payout,
    assert_exactly_once,
    assert_no_leaks,
    assert_record_complete,
    assert_settled,
    leak_baseline,
    read_chain,
)
from .property import (
    DrawnInterleaving,
    WorkflowEnv,
    interleavings,
    run_property,
    workflow_property,
)
from .proxy import RpcProxy
from .stateful import WorkflowMachine

__all__ = [
    "Crash",
    "DrawnInterleaving",
    "FaultAt",
    "FaultSchedule",
    "FaultState",
    "Latency",
    "Outage",
    "Payout",
    "Reorg",
    "RpcProxy",
    "ScheduledTransport",
    "VirtualClock",
    "WorkflowEnv",
    "WorkflowMachine",
    "assert_exactly_once",
    "assert_no_leaks",
    "assert_record_complete",
    "assert_settled",
    "faults",
    "interleavings",
    "leak_baseline",
    "read_chain",
    "run_property",
    "strategies",
    "workflow_property",
]
