"""What the Temporal extra refuses before anything runs, and what crosses Temporal intact:
outcomes, outputs and errors (a property)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from anyio_workflow import AgentOutcome, AgentStatus, AsyncWorkflow, BaseAgent, Role
from anyio_workflow.compliance import SafeTx
from anyio_workflow.devnet import free_port
from anyio_workflow.errors import (
    AttemptTimeout,
    InvalidArgument,
    NotFound,
    RemoteAgentError,
    StepBudgetExceeded,
    TemporalError,
    TransactionError,
    TransientError,
    UsageError,
    Veto,
    is_transient,
)
from anyio_workflow.temporal import (
    TemporalApprovals,
    connect,
    load_workflows,
    on_asyncio,
    submit,
    worker,
)
from anyio_workflow.temporal.codec import (
    error_from_json,
    error_json,
    outcome_from_json,
    outcome_json,
)


class Noop(BaseAgent[Any]):
    role = Role.EXECUTOR

    async def execute(self, task: Any, ctx: Any) -> None:
        return None


async def test_a_worker_refuses_a_workflow_without_a_journal_or_nonce_leases(
    tmp_path: Path,
) -> None:
    bare = AsyncWorkflow([Noop()])
    with pytest.raises(UsageError, match=r"workflows\['pay'\]: .*needs a journal"):
        async with worker(None, "q", {"pay": bare}):  # type: ignore[arg-type]
            pass
    journaled = AsyncWorkflow([Noop()], journal=tmp_path / "j.db")
    with pytest.raises(UsageError, match=r"NonceManagers\(shared=directory\)"):
        async with worker(None, "q", {"pay": journaled}):  # type: ignore[arg-type]
            pass
    assert journaled.journal is not None
    await journaled.journal.aclose()


def test_a_module_without_workflows_is_refused() -> None:
    with pytest.raises(NotFound, match="--module: 'no_such_module_here' cannot be imported"):
        load_workflows("no_such_module_here")
    with pytest.raises(NotFound, match="--module: json defines no AsyncWorkflow"):
        load_workflows("json")


async def test_a_malformed_task_is_refused_before_temporal_is_asked() -> None:
    with pytest.raises(ValidationError, match="chain_id"):
        await submit(None, {"action": "pay", "chain_id": "not a chain"}, task_queue="q")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="valid dictionary or instance of Task"):
        await AsyncWorkflow([Noop()]).submit(None, 42, task_queue="q")  # type: ignore[arg-type]


async def test_an_unreachable_temporal_is_our_error_naming_the_address() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(TemporalError, match=rf"cannot connect to 127.0.0.1:{port}"):
        await on_asyncio(connect, f"127.0.0.1:{port}")


async def test_temporal_approvals_outside_a_run_on_temporal_say_so() -> None:
    tx = SafeTx(safe="0x" + "11" * 20, chain_id=1, to="0x" + "22" * 20, value=1, nonce=0)
    with pytest.raises(UsageError, match="only a run on Temporal has signals"):
        await TemporalApprovals().approvals(tx)


ERRORS = st.one_of(
    st.builds(Veto, st.text(max_size=50)),
    st.builds(TransientError, st.text(max_size=50)),
    st.builds(AttemptTimeout, st.text(max_size=50)),
    st.builds(InvalidArgument, st.text(max_size=50)),
    st.builds(StepBudgetExceeded, st.integers(1, 10**6)),
    st.builds(TransactionError, st.text(max_size=50), st.lists(st.text(max_size=66), max_size=3)),
    st.builds(ValueError, st.text(max_size=50)),
    st.builds(KeyError, st.text(max_size=50)),
)


@given(ERRORS)
def test_an_error_crosses_temporal_as_its_own_class_or_named(error: Exception) -> None:
    back = error_from_json(error_json(error))
    assert back is not None
    assert is_transient(back) == is_transient(error)
    if type(error).__module__ == "anyio_workflow.errors":
        assert type(back) is type(error)
        assert back.short_message == error.short_message  # type: ignore[attr-defined]
        assert vars(back).get("reason") == vars(error).get("reason")
        assert vars(back).get("hashes") == vars(error).get("hashes")
    else:
        assert isinstance(back, RemoteAgentError) and back.kind == type(error).__name__


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.sampled_from(list(Role)), st.sampled_from(list(AgentStatus)), JSONISH,
    st.integers(0, 5), st.none() | st.builds(Veto, st.text(max_size=20)),
)  # fmt: skip
def test_an_outcome_crosses_temporal_intact(
    role: Role, status: AgentStatus, output: Any, attempts: int, error: Exception | None
) -> None:
    from anyio_workflow import Attempt

    outcome = AgentOutcome(
        agent="a", role=role, status=status, output=output, error=error,
        attempts=[Attempt(number=n + 1, started_at=1.0) for n in range(attempts)],
        started_at=1.0, finished_at=2.5,
    )  # fmt: skip
    back = outcome_from_json(outcome_json(outcome))
    assert (back.agent, back.role, back.status, back.output) == ("a", role, status, output)
    assert len(back.attempts) == attempts and back.duration == 1.5
    assert type(back.error) is type(error)
