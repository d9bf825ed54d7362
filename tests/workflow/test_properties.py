"""Hypothesis properties of the engine, each checked under asyncio and trio."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow import (
    AgentStatus,
    AsyncWorkflow,
    AsyncWorkflowConfig,
    Role,
    RunStatus,
    StepBudgetExceeded,
)
from anyio_workflow.testing import VirtualClock
from anyio_workflow.testing import strategies as aws

from .agents import Gauge, Recorder, Scripted

executor_steps = st.sampled_from(["ok", "ok", "transient", "fatal"])
validator_steps = st.sampled_from(["ok", "ok", "ok", "transient", "fatal", "veto"])


@st.composite
def runs(
    draw: st.DrawFn,
) -> tuple[AsyncWorkflowConfig, list[list[str]], list[list[str]], list[int]]:
    config = draw(aws.configs())
    validators = draw(st.lists(st.lists(validator_steps, min_size=1, max_size=4), max_size=3))
    executors = draw(
        st.lists(st.lists(executor_steps, min_size=1, max_size=5), min_size=1, max_size=12)
    )
    yields = draw(st.lists(st.integers(0, 4), min_size=len(executors), max_size=len(executors)))
    return config, validators, executors, yields


slow = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(run=runs())
async def test_engine_invariants(
    run: tuple[AsyncWorkflowConfig, list[list[str]], list[list[str]], list[int]],
) -> None:
    config, validator_scripts, executor_scripts, yields = run
    gauge = Gauge()
    validators = [
        Scripted(f"v{i}", script, role=Role.VALIDATOR) for i, script in enumerate(validator_scripts)
    ]
    executors = [
        Scripted(f"e{i}", script, gauge=gauge, yields=y)
        for i, (script, y) in enumerate(zip(executor_scripts, yields, strict=True))
    ]
    auditor = Recorder()
    clock = VirtualClock()
    wf = AsyncWorkflow(
        [*validators, *executors, auditor],
        config,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(0),
    )
    result = await wf.run("pay")

    # Never more executors at once than max_workers.
    assert gauge.peak <= config.max_workers
    # Nothing the run started is still running.
    assert gauge.running == 0
    assert all(agent.finished for agent in [*validators, *executors] if agent.calls)
    assert all(o.status is not AgentStatus.PENDING for o in result.outcomes)
    # A run never takes more steps than context_length.
    assert result.steps <= config.context_length
    # Every attempt costs a step, but the refused ones.
    charged = [
        a
        for o in result.outcomes
        if o.role is not Role.AUDITOR
        for a in o.attempts
        if not isinstance(a.error, StepBudgetExceeded)
    ]
    assert result.steps == len(charged)
    # Each agent is attempted at most retry.attempts times; only transient errors are retried.
    for agent, outcome in zip([*validators, *executors], result.outcomes, strict=False):
        assert len(outcome.attempts) <= config.retry.attempts
        assert agent.calls <= len(outcome.attempts)
        for attempt in outcome.attempts[:-1]:
            assert attempt.error is not None and getattr(attempt.error, "transient", False)
            assert attempt.delay is not None
            assert 0 <= attempt.delay <= config.retry.max_delay
    # Auditors see every executor's final outcome.
    seen = {name: status for name, role, status in auditor.seen if role is Role.EXECUTOR}
    assert seen == {o.agent: o.status.value for o in result.by_role(Role.EXECUTOR)}
    assert auditor.status == result.status.value
    # A veto or a validator failure means no executor ran.
    if result.status is RunStatus.VETOED or any(
        o.status is AgentStatus.FAILED for o in result.by_role(Role.VALIDATOR)
    ):
        assert gauge.started == 0
    # Success means every executor succeeded.
    if result.ok:
        assert all(o.status is AgentStatus.SUCCEEDED for o in result.by_role(Role.EXECUTOR))
