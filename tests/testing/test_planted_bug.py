"""The harness finds a real planted bug and shrinks it to one fault (issue 19): an agent
that signs again after a lost broadcast answer pays twice."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest
from hypothesis import reproduce_failure, settings

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, RetryPolicy
from anyio_workflow.errors import InvariantViolated
from anyio_workflow.testing import (
    FaultAt,
    FaultSchedule,
    Payout,
    WorkflowEnv,
    assert_exactly_once,
    faults,
    run_property,
    workflow_property,
)

from .planted import ResigningPayoutAgent


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_harness_finds_the_double_payment_and_shrinks_it_to_one_fault(backend: str) -> None:
    failing: list[FaultSchedule] = []

    def property_with(options: settings) -> Any:
        return workflow_property(
            faults=faults(methods=["eth_sendRawTransaction", "eth_getTransactionCount"],
                          max_nth=4),
            hypothesis_settings=options,
        )(pays_once)  # fmt: skip

    async def pays_once(env: WorkflowEnv) -> None:
        payouts = [Payout(a.address, 10**15) for a in env.accounts[1:4]]
        agent = ResigningPayoutAgent(env.accounts[0], payouts)
        # One attempt: the bug to find is the agent's own re-signing, not its retries.
        config = AsyncWorkflowConfig(retry=RetryPolicy(attempts=1))
        result = await env.run(
            lambda: AsyncWorkflow([agent], rpc=env.rpc, config=config), "payroll"
        )
        async with env.client() as client:
            try:
                await assert_exactly_once(
                    result, client, payouts, senders=[env.accounts[0].address]
                )
            except InvariantViolated:
                failing.append(env.schedule)
                raise

    search = settings(max_examples=200, derandomize=True, database=None, print_blob=True)
    with pytest.raises(InvariantViolated, match="paid 2 times") as found:
        run_property(property_with(search), backend=backend)
    # The last failing example hypothesis ran is the one it shrank to, and reports.
    minimal = FaultSchedule((FaultAt("eth_sendRawTransaction", 0, "drop_after"),))
    assert failing[-1] == minimal
    # Hypothesis's own @reproduce_failure replays it, schedule and interleaving included.
    notes = "\n".join(getattr(found.value, "__notes__", []))
    blob = re.search(r"@reproduce_failure\('([^']+)', (b'[^']*')\)", notes)
    assert blob is not None, notes
    failing.clear()
    replay = reproduce_failure(blob.group(1), ast.literal_eval(blob.group(2)))
    with pytest.raises(InvariantViolated, match="paid 2 times"):
        run_property(replay(property_with(settings(database=None))), backend=backend)
    assert failing == [minimal]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_library_sender_passes_the_same_property(backend: str) -> None:
    """The library's own transfer agents, under the same faults, pay exactly once."""

    @workflow_property(
        faults=faults(methods=["eth_sendRawTransaction", "eth_getTransactionCount"], max_nth=4),
        hypothesis_settings=settings(max_examples=60, derandomize=True, database=None),
    )
    async def pays_once(env: WorkflowEnv) -> None:
        payouts = [Payout(a.address, 10**15) for a in env.accounts[1:4]]
        result = await env.payroll(payouts)
        async with env.client() as client:
            # All of them when the run succeeded; none twice and nothing else in any case.
            await assert_exactly_once(result, client, payouts, senders=[env.signer().address])

    run_property(pays_once, backend=backend)
