"""The stateful template, as a user would subclass it: payouts added over time, paid in
runs under injected faults and crashes, resumed from the journal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from anyio_workflow import BaseAgent
from anyio_workflow.errors import InvariantViolated
from anyio_workflow.testing import Payout, WorkflowMachine

from ..budget import examples
from .planted import ResigningPayoutAgent


class AsyncioPayouts(WorkflowMachine):
    backend = "asyncio"


class TrioPayouts(WorkflowMachine):
    backend = "trio"


machine_settings = settings(
    max_examples=examples(8, ci=40),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAsyncioPayouts = AsyncioPayouts.TestCase
TestAsyncioPayouts.settings = machine_settings
TestTrioPayouts = TrioPayouts.TestCase
TestTrioPayouts.settings = machine_settings


class PlantedPayouts(WorkflowMachine):
    """The machine with the planted re-signing agent (tests/testing/planted.py)."""

    def agents_for(self, payouts: list[Payout]) -> list[BaseAgent[Any]]:
        return [ResigningPayoutAgent(self.devnet.accounts[0], payouts)]


def test_the_machine_finds_the_planted_double_payment() -> None:
    case = PlantedPayouts.TestCase
    case.settings = settings(
        max_examples=300, stateful_step_count=8, deadline=None, derandomize=True,
        database=None, suppress_health_check=[HealthCheck.too_slow],
    )  # fmt: skip
    with pytest.raises(InvariantViolated, match="paid 2 times"):
        case("runTest").runTest()
