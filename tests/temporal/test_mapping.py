"""An AsyncWorkflow run on Temporal keeps its meaning: the same statuses, result and record
as in one process; vetoes, fail-fast cancellation, retries, deadlines and auditors that
always run. The worker runs in-process here (on asyncio, in a thread of its own, as a trio
program would run it); tests/temporal/test_workers.py runs worker processes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow import (
    AgentStatus,
    AsyncWorkflow,
    AsyncWorkflowConfig,
    BaseAgent,
    RetryPolicy,
    Role,
    RunStatus,
    TransientError,
    Veto,
    WorkflowResult,
)
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.errors import DeadlinePassed, NotFound, RemoteAgentError, RunCancelled
from anyio_workflow.evm import LocalSigner, TxRequest, to_checksum
from anyio_workflow.temporal import TemporalDevServer, connect, on_asyncio, result, worker
from anyio_workflow.testing import assert_exactly_once, assert_record_complete

from ..budget import examples
from .conftest import durable_workflow, queue

FAST = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.1)


class Agent(BaseAgent[Any]):
    """Does what it is told: ``ok``, ``veto``, ``fail`` (a ValueError), ``transient``
    (a TransientError on its first attempt of each run, then ok), ``sleep`` (30 s)."""

    attempts: ClassVar[dict[tuple[str, str], int]] = {}

    def __init__(self, name: str, role: Role, does: str) -> None:
        super().__init__(name)
        self.role = role
        self.does = does

    async def execute(self, task: Any, ctx: Any) -> Any:
        key = (task.params.get("run", ""), self.name)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        if self.does == "veto":
            raise Veto(f"{self.name} says no")
        if self.does == "fail":
            raise ValueError(f"{self.name} broke")
        if self.does == "transient" and self.attempts[key] == 1:
            raise TransientError(f"{self.name}: try again")
        if self.does == "sleep":
            await anyio.sleep(30)
        return {"agent": self.name}


class Pay(BaseAgent[Any]):
    role = Role.EXECUTOR

    def __init__(self, index: int) -> None:
        super().__init__(f"pay-{index}")
        self.index = index

    async def execute(self, task: Any, ctx: Any) -> Any:
        to, amount = task.params["payouts"][self.index]
        return await ctx.sender(ctx.signer, poll_interval=0.01).send(TxRequest(to=to, value=amount))


async def on_temporal(
    server: TemporalDevServer, workflow: AsyncWorkflow, task: Any, chain_id: int = 1
) -> WorkflowResult:
    """Run ``task`` through a worker of ``workflow`` on the dev server."""
    name = queue()

    async def scenario() -> WorkflowResult:
        client = await connect(server.address)
        with anyio.fail_after(60):
            async with worker(client, name, {"w": workflow}, heartbeat_timeout=2):
                handle = await workflow.submit(client, task, chain_id, task_queue=name)
                return await result(handle)

    return await on_asyncio(scenario)


async def test_a_payroll_on_temporal_is_the_payroll_in_one_process(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    payouts = [(to_checksum(f"0x{0xA11CE000 + i:040x}"), 10**15 + i) for i in range(12)]
    task = {"action": "payroll", "params": {"payouts": payouts}}
    results = {}
    for where in ("temporal", "in-process"):
        devnet = EvmDevnet(chain_id=1)
        signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
        agents: list[BaseAgent[Any]] = [Agent("check", Role.VALIDATOR, "ok")]
        agents += [Pay(i) for i in range(len(payouts))]
        config = AsyncWorkflowConfig(max_workers=4, retry=FAST)
        workflow = durable_workflow(
            agents, tmp_path / where, config=config, rpc={1: devnet.transport}, signer=signer
        )
        if where == "temporal":
            found = await on_temporal(temporal_server, workflow, task)
        else:
            found = await workflow.run(task, 1)
        assert found.status is RunStatus.SUCCEEDED, found.error
        await assert_exactly_once(found, devnet, payouts)
        await assert_record_complete(found, devnet)
        results[where] = found
    remote, local = results["temporal"], results["in-process"]
    assert [(o.agent, o.role, o.status) for o in remote.outcomes] == [
        (o.agent, o.role, o.status) for o in local.outcomes
    ]
    assert sorted((r.nonce, r.status) for r in remote) == sorted((r.nonce, r.status) for r in local)
    assert remote.audit is not None and local.audit is not None
    assert len(remote.audit.record.transactions) == len(payouts)
    assert remote.outcome("check").output == {"agent": "check"}


async def test_a_veto_stops_the_run_before_any_executor_and_the_auditor_records_it(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex
    agents = [Agent("kyc", Role.VALIDATOR, "veto"), Agent("slow", Role.VALIDATOR, "sleep"),
              Agent("pay", Role.EXECUTOR, "ok")]  # fmt: skip
    workflow = durable_workflow(agents, tmp_path, config={"retry": FAST})
    found = await on_temporal(temporal_server, workflow, {"action": "x", "params": {"run": run}})
    assert found.status is RunStatus.VETOED
    assert isinstance(found.error, Veto) and found.error.reason == "kyc says no"
    statuses = {o.agent: o.status for o in found.outcomes}
    assert statuses["kyc"] is AgentStatus.VETOED
    assert statuses["slow"] is AgentStatus.CANCELLED  # its sibling's veto cancelled it
    assert statuses["pay"] is AgentStatus.SKIPPED
    assert statuses["AuditorAgent"] is AgentStatus.SUCCEEDED
    assert Agent.attempts[(run, "kyc")] == 1  # a veto is not retried
    assert found.duration < 20  # the 30 s sleep was cut short


async def test_fail_fast_cancels_siblings_and_the_error_keeps_its_kind(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex
    agents = [Agent("broken", Role.EXECUTOR, "fail"), Agent("slow", Role.EXECUTOR, "sleep")]
    workflow = durable_workflow(agents, tmp_path, config={"retry": FAST})
    found = await on_temporal(temporal_server, workflow, {"action": "x", "params": {"run": run}})
    assert found.status is RunStatus.FAILED
    assert isinstance(found.error, RemoteAgentError) and found.error.kind == "ValueError"
    assert "broken broke" in str(found.error)
    assert found.outcome("slow").status is AgentStatus.CANCELLED
    assert Agent.attempts[(run, "broken")] == 1  # not transient: not retried


async def test_a_transient_failure_is_retried_by_temporal(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex
    workflow = durable_workflow(
        [Agent("flaky", Role.EXECUTOR, "transient")], tmp_path, config={"retry": FAST}
    )
    found = await on_temporal(temporal_server, workflow, {"action": "x", "params": {"run": run}})
    assert found.status is RunStatus.SUCCEEDED, found.error
    assert len(found.outcome("flaky").attempts) == 2
    assert Agent.attempts[(run, "flaky")] == 2


async def test_the_deadline_cuts_the_run_short_and_the_auditor_still_runs(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex
    agents = [Agent("slow", Role.EXECUTOR, "sleep"), Agent("quick", Role.EXECUTOR, "ok")]
    config = AsyncWorkflowConfig(timeout=1.0, retry=FAST)
    workflow = durable_workflow(agents, tmp_path, config=config)
    found = await on_temporal(temporal_server, workflow, {"action": "x", "params": {"run": run}})
    assert found.status is RunStatus.TIMED_OUT
    assert isinstance(found.error, DeadlinePassed) and "slow" in str(found.error)
    assert found.outcome("slow").status is AgentStatus.CANCELLED
    assert found.outcome("quick").status is AgentStatus.SUCCEEDED
    assert found.outcome("AuditorAgent").status is AgentStatus.SUCCEEDED
    assert found.duration < 20


BEHAVIOURS = {Role.VALIDATOR: ["ok", "veto", "fail", "transient"],
              Role.EXECUTOR: ["ok", "fail", "transient"]}  # fmt: skip


@st.composite
def crews(draw: st.DrawFn) -> list[tuple[Role, str]]:
    crew = [(Role.VALIDATOR, draw(st.sampled_from(BEHAVIOURS[Role.VALIDATOR])))
            for _ in range(draw(st.integers(0, 2)))]  # fmt: skip
    crew += [(Role.EXECUTOR, draw(st.sampled_from(BEHAVIOURS[Role.EXECUTOR])))
             for _ in range(draw(st.integers(1, 3)))]  # fmt: skip
    return crew


@settings(
    max_examples=examples(6, 12), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(crew=crews(), data=st.data())
async def test_any_crew_ends_on_temporal_as_it_ends_in_one_process(
    temporal_server: TemporalDevServer, tmp_path: Path, crew: list[tuple[Role, str]],
    data: st.DataObject,
) -> None:  # fmt: skip
    # The run's status, its error's kind and every agent's status that does not depend on
    # timing (fail-fast may cut a sibling before or after it finished) are the same.
    run = data.draw(st.uuids()).hex
    agents = [Agent(f"{role.value}-{i}", role, does) for i, (role, does) in enumerate(crew)]
    task = {"action": "x", "params": {"run": run}}
    local = await durable_workflow(agents, tmp_path / run / "local", config={"retry": FAST}).run(
        {**task, "params": {"run": run + "-local"}}
    )
    remote = await on_temporal(
        temporal_server, durable_workflow(agents, tmp_path / run / "temporal",
                                          config={"retry": FAST}), task,
    )  # fmt: skip
    # A veto and a crash among the validators (they run concurrently): whichever ends
    # first decides, in one process as on Temporal, so either status is the run's.
    implied = {"veto": RunStatus.VETOED, "fail": RunStatus.FAILED}
    racing = {implied[does] for role, does in crew if role is Role.VALIDATOR and does in implied}
    if len(racing) > 1:
        assert {remote.status, local.status} <= racing, (remote.error, local.error)
        return
    assert remote.status is local.status, (remote.error, local.error)
    assert type(remote.error).__name__ in (type(local.error).__name__, "RemoteAgentError")
    for mine, theirs in zip(remote.outcomes, local.outcomes, strict=True):
        assert mine.agent == theirs.agent
        decided = {AgentStatus.VETOED, AgentStatus.FAILED}
        if theirs.status in decided or local.status is RunStatus.SUCCEEDED:
            assert mine.status is theirs.status, mine.agent


async def test_a_run_cancelled_from_outside_stops_its_agents_and_is_recorded(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex
    agents = [Agent("slow", Role.EXECUTOR, "sleep"), Agent("quick", Role.EXECUTOR, "ok")]
    workflow = durable_workflow(agents, tmp_path, config={"retry": FAST})
    name = queue()

    async def scenario() -> WorkflowResult:
        client = await connect(temporal_server.address)
        with anyio.fail_after(60):
            async with worker(client, name, {"w": workflow}, heartbeat_timeout=2):
                handle = await workflow.submit(client, {"action": "x", "params": {"run": run}},
                                               task_queue=name)  # fmt: skip
                while (await handle.query("progress"))["agents"].get("quick") != "succeeded":  # noqa: ASYNC110  (polls the run)
                    await anyio.sleep(0.05)
                await handle.cancel()
                return await result(handle)

    found = await on_asyncio(scenario)
    assert found.status is RunStatus.CANCELLED
    assert isinstance(found.error, RunCancelled)
    assert found.outcome("slow").status is AgentStatus.CANCELLED
    assert found.outcome("quick").status is AgentStatus.SUCCEEDED
    assert found.outcome("AuditorAgent").status is AgentStatus.SUCCEEDED  # recorded
    assert found.duration < 20


async def test_a_run_its_workers_cannot_plan_raises_that_error(
    temporal_server: TemporalDevServer, tmp_path: Path
) -> None:
    workflow = durable_workflow([Agent("a", Role.EXECUTOR, "ok")], tmp_path)
    name = queue()

    async def scenario() -> WorkflowResult:
        client = await connect(temporal_server.address)
        with anyio.fail_after(60):
            async with worker(client, name, {"w": workflow}):
                handle = await workflow.submit(client, "x", task_queue=name, workflow="nope")
                return await result(handle)

    with pytest.raises(NotFound, match="workflow: 'nope' is not served here"):
        await on_asyncio(scenario)
