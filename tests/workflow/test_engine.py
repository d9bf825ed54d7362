from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from anyio_workflow import (
    FEE_STRATEGIES,
    AgentFinished,
    AgentStatus,
    AsyncWorkflow,
    AsyncWorkflowConfig,
    AttemptTimeout,
    BaseAgent,
    CustomFees,
    DuplicateRunError,
    Event,
    RetryScheduled,
    Role,
    RunContext,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStatus,
    RunTimedOut,
    RunVetoed,
    StepBudgetExceeded,
    Task,
    UnknownActionError,
    Vetoed,
    register_action,
    unregister_action,
)
from anyio_workflow.core.fees import fee_strategy
from anyio_workflow.errors import (
    AuditError,
    DeadlinePassed,
    InvalidArgument,
    InvalidType,
    RecordNotStored,
)
from anyio_workflow.evm import LocalSigner, NonceManagers
from anyio_workflow.storage import LocalStore, MemoryStore
from anyio_workflow.storage.local import DATA_DIR_ENV
from anyio_workflow.testing import VirtualClock

from .agents import Gauge, Recorder, Scripted


def workflow(agents: list[BaseAgent], **config: Any) -> tuple[AsyncWorkflow, VirtualClock]:
    clock = VirtualClock()
    wf = AsyncWorkflow(
        agents, AsyncWorkflowConfig(**config), clock=clock, sleep=clock.sleep, rng=random.Random(1)
    )
    return wf, clock


def test_an_empty_agent_list_is_refused() -> None:
    with pytest.raises(ValueError, match="Minimum 1 agent required"):
        AsyncWorkflow([])


def test_agents_must_be_agents() -> None:
    with pytest.raises(TypeError, match=r"agents\[1\]: expected a BaseAgent, got str"):
        AsyncWorkflow([Scripted("a"), "b"])  # type: ignore[list-item]


def test_config_as_a_mapping_is_validated() -> None:
    wf = AsyncWorkflow([Scripted("a")], {"max_workers": 2})
    assert wf.config.max_workers == 2
    assert wf.web3_agents == wf.agents


async def test_a_successful_run_iterates_like_a_list_of_receipts() -> None:
    wf, _ = workflow([Scripted("a"), Scripted("b"), Recorder()])
    result = await wf.run("pay", params={"n": 2})
    assert result.ok and result.status is RunStatus.SUCCEEDED
    assert list(result) == ["a:1", "b:1"]
    assert len(result) == 2 and result[1] == "b:1"
    assert result.task == Task(action="pay", params={"n": 2}, chain_id=1)
    assert result.raise_for_status() is result
    assert result.steps == 2
    kinds = [type(e).__name__ for e in result.events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"


async def test_repeated_names_are_made_unique() -> None:
    wf, _ = workflow([Scripted("a"), Scripted("a"), Scripted("b")])
    result = await wf.run("x")
    # auto_store_proofs (the default) adds the workflow's auditor to every run
    assert [o.agent for o in result.outcomes] == ["a[0]", "a[1]", "b", "AuditorAgent"]
    assert result.outcome("b").output == "b:1"
    with pytest.raises(KeyError, match="no agent named 'zz'"):
        result.outcome("zz")


async def test_a_veto_cancels_other_validators_and_runs_no_executor() -> None:
    slow = Scripted("slow", ["hang"], role=Role.VALIDATOR)
    executor = Scripted("exec")
    auditor = Recorder()
    wf, _ = workflow([slow, Scripted("no", ["veto"], role=Role.VALIDATOR), executor, auditor])
    result = await wf.run("pay")
    assert result.status is RunStatus.VETOED
    assert result.outcome("slow").status is AgentStatus.CANCELLED
    assert result.outcome("no").status is AgentStatus.VETOED
    assert result.outcome("exec").status is AgentStatus.SKIPPED
    assert executor.calls == 0
    assert auditor.status == "vetoed"
    assert any(isinstance(e, Vetoed) and e.reason == "no says no" for e in result.events)
    with pytest.raises(RunVetoed, match="no says no") as info:
        result.raise_for_status()
    assert info.value.result is result


async def test_a_validator_error_fails_the_run_before_executors() -> None:
    executor = Scripted("exec")
    wf, _ = workflow([Scripted("v", ["fatal"], role=Role.VALIDATOR), executor])
    result = await wf.run("pay")
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, RuntimeError)
    assert executor.calls == 0


async def test_fail_fast_cancels_siblings() -> None:
    hanging = [Scripted(f"h{i}", ["hang"]) for i in range(5)]
    auditor = Recorder()
    wf, _ = workflow([*hanging, Scripted("bad", ["fatal"]), auditor], fail_fast=True)
    result = await wf.run("pay")
    assert result.status is RunStatus.FAILED
    assert str(result.error) == "bad: broken"
    assert {result.outcome(f"h{i}").status for i in range(5)} == {AgentStatus.CANCELLED}
    assert all(agent.finished for agent in hanging)
    assert auditor.status == "failed"
    with pytest.raises(RunFailed, match="bad: broken"):
        result.raise_for_status()


async def test_without_fail_fast_every_outcome_is_collected() -> None:
    wf, _ = workflow([Scripted("a"), Scripted("bad", ["fatal"]), Scripted("c")], fail_fast=False)
    result = await wf.run("pay")
    assert result.status is RunStatus.FAILED
    statuses = [o.status for o in result.by_role(Role.EXECUTOR)]
    assert statuses == [AgentStatus.SUCCEEDED, AgentStatus.FAILED, AgentStatus.SUCCEEDED]
    assert list(result) == ["a:1", "c:1"]


async def test_transient_errors_are_retried_with_backoff_in_virtual_time() -> None:
    flaky = Scripted("flaky", ["transient", "transient", "ok"])
    wf, clock = workflow([flaky], retry={"attempts": 3, "base_delay": 1.0, "jitter": "none"})
    result = await wf.run("pay")
    assert result.ok
    outcome = result.outcome("flaky")
    assert [a.delay for a in outcome.attempts] == [1.0, 2.0, None]
    assert clock.sleeps == [1.0, 2.0]
    assert [type(a.error).__name__ for a in outcome.attempts] == [
        "TransientError",
        "TransientError",
        "NoneType",
    ]
    retries = [e for e in result.events if isinstance(e, RetryScheduled)]
    assert [(e.attempt, e.delay) for e in retries] == [(2, 1.0), (3, 2.0)]
    assert result.steps == 3


async def test_retries_stop_after_the_last_attempt() -> None:
    wf, _ = workflow([Scripted("flaky", ["transient"])], retry={"attempts": 4})
    result = await wf.run("pay")
    assert result.status is RunStatus.FAILED
    assert len(result.outcome("flaky").attempts) == 4


async def test_permanent_errors_are_not_retried() -> None:
    agent = Scripted("bad", ["fatal", "ok"])
    wf, clock = workflow([agent], retry={"attempts": 5})
    result = await wf.run("pay")
    assert agent.calls == 1 and clock.sleeps == []
    assert result.outcome("bad").error is result.error


async def test_attempt_timeout_is_transient() -> None:
    agent = Scripted("slow", ["hang", "ok"])
    config = AsyncWorkflowConfig(retry={"attempts": 2, "base_delay": 0, "attempt_timeout": 0.05})
    result = await AsyncWorkflow([agent], config).run("pay")
    assert result.ok
    assert isinstance(result.outcome("slow").attempts[0].error, AttemptTimeout)


async def test_the_step_budget_stops_a_runaway_loop() -> None:
    class Looper(BaseAgent):
        async def execute(self, task: Task, ctx: RunContext) -> Any:
            while True:  # a Uniswap<>Aave loop that never converges
                ctx.step()
                await anyio.lowlevel.checkpoint()

    auditor = Recorder()
    wf, _ = workflow([Looper(), Scripted("other", ["hang"]), auditor], context_length=50)
    result = await wf.run("loop")
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, StepBudgetExceeded)
    assert "step budget of 50" in str(result.error)
    assert result.steps <= 50
    assert result.outcome("other").status is AgentStatus.CANCELLED
    assert auditor.status == "failed"


async def test_a_budget_error_caught_by_the_agent_still_ends_the_run() -> None:
    class Swallower(BaseAgent):
        async def execute(self, task: Task, ctx: RunContext) -> Any:
            try:
                ctx.step(10)
            except StepBudgetExceeded:
                return "pretend all is well"

    wf, _ = workflow([Swallower()], context_length=5, fail_fast=False)
    result = await wf.run("x")
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, StepBudgetExceeded)


async def test_the_run_timeout_gives_a_timed_out_result_and_auditors_still_run() -> None:
    auditor = Recorder()
    result = await AsyncWorkflow(
        [Scripted("slow", ["hang"]), auditor], AsyncWorkflowConfig(timeout=0.05)
    ).run("pay")
    assert result.status is RunStatus.TIMED_OUT
    assert result.outcome("slow").status is AgentStatus.CANCELLED
    assert auditor.status == "timed_out"
    # The result says why, and whom the deadline cut short.
    assert isinstance(result.error, DeadlinePassed)
    assert str(result.error) == "the run's deadline (0.05 s) passed; cut short: slow"
    with pytest.raises(RunTimedOut, match="timed out: the run's deadline"):
        result.raise_for_status()


async def test_a_task_deadline_in_the_past_runs_no_agent() -> None:
    agent = Scripted("a")
    deadline = datetime.now(UTC) - timedelta(seconds=1)
    result = await AsyncWorkflow([agent]).run({"action": "pay", "deadline": deadline})
    assert result.status is RunStatus.TIMED_OUT
    assert agent.calls == 0


async def test_cancellation_from_outside_propagates_after_the_audit() -> None:
    hanging = [Scripted(f"h{i}", ["hang"]) for i in range(3)]
    auditor = Recorder()
    wf = AsyncWorkflow([*hanging, auditor])
    returned: list[object] = []
    with anyio.move_on_after(0.05) as scope:
        returned.append(await wf.run("pay"))
    assert scope.cancelled_caught
    assert returned == []
    assert all(agent.finished for agent in hanging)
    assert auditor.status == "cancelled"
    assert {status for _, role, status in auditor.seen if role is Role.EXECUTOR} == {"cancelled"}


async def test_without_auto_store_proofs_auditor_failures_do_not_change_the_status() -> None:
    agents = [Scripted("a"), Scripted("audit", ["fatal"], role=Role.AUDITOR)]
    wf, _ = workflow(agents, auto_store_proofs=False)
    result = await wf.run("pay")
    assert result.ok
    assert result.outcome("audit").status is AgentStatus.FAILED
    assert result.steps == 1  # auditors are not charged


async def test_a_run_whose_record_was_not_stored_did_not_succeed() -> None:
    wf, _ = workflow([Scripted("a"), Scripted("audit", ["fatal"], role=Role.AUDITOR)])
    result = await wf.run("pay")
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, RecordNotStored)
    assert "the run's record was not stored: audit failed" in str(result.error)
    assert result.outcome("a").status is AgentStatus.SUCCEEDED  # the work itself went well
    with pytest.raises(AuditError, match="record was not stored"):
        result.raise_for_status()
    finished = [e for e in result.events if isinstance(e, RunFinished)]
    assert [e.status for e in finished] == [RunStatus.FAILED]


async def test_subscribers_receive_every_event() -> None:
    wf, _ = workflow([Scripted("a"), Scripted("b", ["transient", "ok"])])
    seen: list[Event] = []

    async def listen(stream: Any) -> None:
        async for event in stream:
            seen.append(event)
            if isinstance(event, RunFinished):
                return

    with wf.subscribe() as events, wf.subscribe() as second:
        second.close()  # a subscriber that leaves early does not disturb the others
        async with anyio.create_task_group() as tg:
            tg.start_soon(listen, events)
            result = await wf.run("pay")
    assert seen == list(result.events)
    assert isinstance(seen[0], RunStarted)
    finished = [e for e in seen if isinstance(e, AgentFinished)]
    assert sorted((e.agent, e.attempts) for e in finished) == [
        ("AuditorAgent", 1), ("a", 1), ("b", 2),
    ]  # fmt: skip


async def test_idempotency_key_returns_the_first_success() -> None:
    agent = Scripted("a")
    wf, _ = workflow([agent])
    first = await wf.run({"action": "pay", "idempotency_key": "invoice-7"})
    again = await wf.run({"action": "pay", "idempotency_key": "invoice-7"})
    assert again is first and agent.calls == 1


async def test_a_key_already_running_is_refused() -> None:
    gate = anyio.Event()

    class Waits(BaseAgent):
        async def execute(self, task: Task, ctx: RunContext) -> Any:
            await gate.wait()

    wf = AsyncWorkflow([Waits()])
    async with anyio.create_task_group() as tg:
        tg.start_soon(wf.run, Task(action="pay", idempotency_key="k"))
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(DuplicateRunError, match="'k' is already in progress"):
            await wf.run(Task(action="pay", idempotency_key="k"))
        gate.set()


async def test_without_agents_the_registry_picks_them() -> None:
    register_action("test_echo", lambda task: [Scripted("echo")])
    try:
        result = await AsyncWorkflow(config=AsyncWorkflowConfig()).run("test_echo")
        assert list(result) == ["echo:1"]
        with pytest.raises(
            UnknownActionError, match="no agents registered for action 'nope'"
        ) as info:
            await AsyncWorkflow().run("nope")
        assert "test_echo" in str(info.value)
    finally:
        unregister_action("test_echo")


async def test_a_shared_limiter_bounds_two_workflows_together() -> None:
    gauge = Gauge()
    limiter = anyio.CapacityLimiter(3)
    one = AsyncWorkflow(
        [Scripted(f"a{i}", gauge=gauge, yields=5) for i in range(10)], limiter=limiter
    )
    two = AsyncWorkflow(
        [Scripted(f"b{i}", gauge=gauge, yields=5) for i in range(10)], limiter=limiter
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(one.run, "x")
        tg.start_soon(two.run, "x")
    assert gauge.started == 20 and gauge.peak == 3


async def test_ctx_shares_state_and_services() -> None:
    class Oracle(BaseAgent):
        role = Role.VALIDATOR

        async def execute(self, task: Task, ctx: RunContext) -> Any:
            ctx.state["price"] = ctx.service("feed")

    class Buyer(BaseAgent):
        async def execute(self, task: Task, ctx: RunContext) -> Any:
            with pytest.raises(LookupError, match=r"services\.nope: no such service"):
                ctx.service("nope")
            return ctx.state["price"] * task.params["qty"], ctx.chain_id

    result = await AsyncWorkflow([Oracle(), Buyer()], feed=3).run("buy", 137, params={"qty": 4})
    assert list(result) == [12, 137]


async def test_the_workflows_signer_store_and_nonces_are_typed_attributes_of_ctx() -> None:
    signer = LocalSigner("0x" + "11" * 32)
    store = MemoryStore()
    seen: list[Any] = []

    class Look(BaseAgent):
        async def execute(self, task: Task, ctx: Any) -> Any:
            seen.append((ctx.signer, ctx.store, ctx.nonces, ctx.service("signer")))

    shared = NonceManagers()
    one = AsyncWorkflow([Look()], signer=signer, store=store, nonces=shared)
    two = AsyncWorkflow([Look()], signer=signer, nonces=shared)
    alone = AsyncWorkflow([Look()], signer=signer)
    for workflow in (one, two, alone):
        assert (await workflow.run("look")).ok
    (s1, st1, n1, named), (_, st2, n2, _), (_, _, n3, _) = seen
    assert s1 is signer and named is signer and st1 is store and st2 is None
    assert n1 is n2 is shared and n3 is not shared  # one per workflow unless shared
    assert n1.get(1, signer.address) is n2.get(1, signer.address)
    assert one.replace(rpc={}).nonces is shared  # a copy keeps them


def test_services_that_became_typed_are_refused_by_their_old_names() -> None:
    with pytest.raises(InvalidArgument, match=r"custom_fees: no longer a service.*CustomFees"):
        AsyncWorkflow([Recorder()], custom_fees=CustomFees(1, 1))
    with pytest.raises(InvalidArgument, match="auditor_signer: no longer a service"):
        AsyncWorkflow([Recorder()], auditor_signer=LocalSigner("0x" + "11" * 32))
    with pytest.raises(InvalidType, match="agents: give a list of agents, not one agent"):
        AsyncWorkflow(Recorder())  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="signer: expected a Signer"):
        AsyncWorkflow([Recorder()], signer="0x" + "11" * 32)  # type: ignore[arg-type]


def test_fee_strategies_are_data_read_by_name() -> None:
    assert set(FEE_STRATEGIES) == {"fast", "optimal", "custom", "eco"}
    ordered = sorted(FEE_STRATEGIES.values(), key=lambda s: s.urgency)
    assert ordered[0].name == "fast" and ordered[-1].name == "eco"
    assert [s.name for s in FEE_STRATEGIES.values() if s.waits_for_base_fee] == ["eco"]
    with pytest.raises(InvalidArgument, match="gas_strategy: 'slow' is not a fee strategy"):
        fee_strategy("slow")
    config = AsyncWorkflowConfig(gas_strategy="custom", custom_fees=CustomFees(7, 2))
    assert config.model_dump(mode="json")["custom_fees"] == {
        "max_fee_per_gas": 7, "max_priority_fee_per_gas": 2,
    }  # fmt: skip
    with pytest.raises(ValueError, match="give both fees, or compute"):
        CustomFees(7)


async def test_every_run_is_recorded_in_the_data_directory_by_default() -> None:
    result = await AsyncWorkflow([Scripted("a")]).run("pay")
    assert result.ok and result.audit is not None and result.audit.stored
    store = LocalStore(Path(os.environ[DATA_DIR_ENV]) / "records")
    assert await store.has(result.audit.cid) and await store.has(result.audit.record_cid)
