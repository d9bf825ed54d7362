"""Test helpers for users of anyio-workflow: hypothesis strategies, a virtual clock, and a
JSON-RPC proxy that injects faults from outside the process (:class:`RpcProxy`).

Compose the strategies in your own property tests::

    from hypothesis import given
    from anyio_workflow.testing import strategies as aws

    @given(task=aws.tasks())
    def test_my_agent_accepts_any_task(task): ...
"""

from . import strategies
from .clock import VirtualClock
from .proxy import RpcProxy

__all__ = ["RpcProxy", "VirtualClock", "strategies"]
