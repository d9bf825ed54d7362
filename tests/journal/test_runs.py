"""Runs in the journal (issue 15): a run resumed by its key keeps what its agents finished,
agents' own checkpoints, a finished run answered from the journal by a new process, and one
process at a time on a run."""

from __future__ import annotations

import ipaddress
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from anyio_workflow import (
    AgentStatus,
    AsyncWorkflow,
    AsyncWorkflowConfig,
    BaseAgent,
    DuplicateRunError,
    JournalError,
    Role,
    RunStatus,
    Task,
)
from anyio_workflow.agents import AgentContext
from anyio_workflow.journal import MemoryJournal, SqliteJournal
from anyio_workflow.journal.runs import keep, restore

CONFIG = AsyncWorkflowConfig(auto_store_proofs=False)


class Counted(BaseAgent[AgentContext]):
    """Succeeds with ``{"n": calls}``; fails while ``fail_first`` calls remain."""

    def __init__(self, name: str, calls: list[str], fail_first: int = 0) -> None:
        super().__init__(name)
        self.calls, self.fail_first = calls, fail_first

    async def execute(self, task: Task, ctx: AgentContext) -> Any:
        self.calls.append(self.name)
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RuntimeError(f"{self.name} failed on purpose")
        return {"n": self.calls.count(self.name)}


class TwoSteps(BaseAgent[AgentContext]):
    """Step one, then step two; step two fails while ``fail_first`` calls remain."""

    def __init__(self, calls: list[str], fail_first: int) -> None:
        super().__init__("two-steps")
        self.calls, self.fail_first = calls, fail_first

    async def one(self, value: int) -> int:
        self.calls.append("one")
        return value * 2

    async def two(self, value: int) -> int:
        self.calls.append("two")
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RuntimeError("step two failed on purpose")
        return value + 1

    async def execute(self, task: Task, ctx: AgentContext) -> Any:
        first = await ctx.journal.step("one", self.one, 21)
        return await ctx.journal.step("two", self.two, first)


def workflow(agents: list[BaseAgent[Any]], journal: Any) -> AsyncWorkflow:
    return AsyncWorkflow(agents, CONFIG, journal=journal)


async def test_a_resumed_run_keeps_what_its_agents_finished(tmp_path: Path) -> None:
    calls: list[str] = []
    path = tmp_path / "runs.db"
    task = {"action": "payroll", "idempotency_key": "pay-1"}
    first = workflow([Counted("a", calls), Counted("b", calls, fail_first=1)], path)
    failed = await first.run(task)
    assert failed.status is RunStatus.FAILED and sorted(calls) == ["a", "b"]
    await first.journal.aclose()  # type: ignore[union-attr]

    # A new workflow on the same file, as a new process would be: "a" is not run again.
    again = workflow([Counted("a", calls), Counted("b", calls)], path)
    result = await again.run(task)
    assert result.ok, result.error
    assert sorted(calls) == ["a", "b", "b"]
    assert result.outcome("a").resumed and result.outcome("a").output == {"n": 1}
    assert not result.outcome("b").resumed and result.outcome("b").output == {"n": 2}
    assert list(result) == [{"n": 1}, {"n": 2}]
    record = again.journal.run("pay-1")  # type: ignore[union-attr]
    assert record.status == "succeeded" and len(record.run_ids) == 2
    await again.journal.aclose()  # type: ignore[union-attr]


async def test_a_finished_run_is_answered_from_the_journal(tmp_path: Path) -> None:
    calls: list[str] = []
    path = tmp_path / "runs.db"
    task = {"action": "payroll", "idempotency_key": "pay-2"}
    first = workflow([Counted("a", calls), Counted("b", calls)], path)
    done = await first.run(task)
    await first.journal.aclose()  # type: ignore[union-attr]

    later = workflow([Counted("a", calls), Counted("b", calls)], path)
    result = await later.run(task)
    assert calls == ["a", "b"] or sorted(calls) == ["a", "b"]  # nothing ran again
    assert result.ok and result.run_id == done.run_id
    assert list(result) == list(done) and all(o.resumed for o in result.outcomes)
    await later.journal.aclose()  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_checkpoints_skip_the_steps_already_done(kind: str, tmp_path: Path) -> None:
    calls: list[str] = []
    journal = MemoryJournal() if kind == "memory" else SqliteJournal(tmp_path / "j.db")
    task = {"action": "two-steps", "idempotency_key": "steps-1"}
    first = await workflow([TwoSteps(calls, fail_first=1)], journal).run(task)
    assert first.status is RunStatus.FAILED and calls == ["one", "two"]
    assert "one" in journal.run("steps-1").checkpoints.__iter__().__next__()
    result = await workflow([TwoSteps(calls, fail_first=0)], journal).run(task)
    assert result.ok and list(result) == [43]
    assert calls == ["one", "two", "two"]  # step one was not done again
    await journal.aclose()


async def test_checkpoints_without_a_journal_last_for_the_run_and_its_retries() -> None:
    calls: list[str] = []
    config = AsyncWorkflowConfig(auto_store_proofs=False, retry={"attempts": 2, "base_delay": 0})
    agent = TwoSteps(calls, fail_first=1)

    class Retried(TwoSteps):
        async def execute(self, task: Task, ctx: AgentContext) -> Any:
            try:
                return await super().execute(task, ctx)
            except RuntimeError as exc:
                from anyio_workflow import TransientError

                raise TransientError(str(exc)) from exc

    agent = Retried(calls, fail_first=1)
    result = await AsyncWorkflow([agent], config).run("two-steps")
    assert result.ok and list(result) == [43]
    assert calls == ["one", "two", "two"]


async def test_an_output_the_journal_may_not_restore_runs_the_agent_again(
    tmp_path: Path,
) -> None:
    address = ipaddress.ip_address("127.0.0.1")  # an ipaddress object: not on the allow-list
    data = keep(address)
    assert data is not None
    with pytest.raises(JournalError, match=r"ipaddress\.IPv4Address.*trusted=\('ipaddress',\)"):
        restore(data)
    assert restore(data, trusted=("ipaddress",)) == address
    calls: list[str] = []

    class PathAgent(Counted):
        async def execute(self, task: Task, ctx: AgentContext) -> Any:
            await super().execute(task, ctx)
            return address

    path = tmp_path / "runs.db"
    task = {"action": "paths", "idempotency_key": "paths-1"}
    wf = workflow([PathAgent("p", calls), Counted("b", calls, fail_first=1)], path)
    await wf.run(task)
    await wf.journal.aclose()  # type: ignore[union-attr]
    again = workflow([PathAgent("p", calls), Counted("b", calls)], path)
    assert (await again.run(task)).ok
    assert calls.count("p") == 2  # its output could not come back: it ran again
    await again.journal.aclose()  # type: ignore[union-attr]


async def test_a_run_held_by_one_journal_is_refused_to_another(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    one, two = SqliteJournal(path), SqliteJournal(path)
    assert await one.begin("k", run_id="r1", task={}, agents=[]) is None
    with pytest.raises(DuplicateRunError, match=r"'k' is already in progress in another process"):
        await two.begin("k", run_id="r2", task={}, agents=[])
    with pytest.raises(DuplicateRunError):
        await one.begin("k", run_id="r3", task={}, agents=[])  # the same object, too
    one.release("k")
    earlier = await two.begin("k", run_id="r2", task={}, agents=[])
    assert earlier is not None and earlier.run_ids == ("r1",)  # it read what one wrote
    two.release("k")
    await one.aclose()
    await two.aclose()


HOLDER = textwrap.dedent(
    """
    import sys, time, anyio
    from anyio_workflow.journal import SqliteJournal

    async def main():
        journal = SqliteJournal(sys.argv[1])
        await journal.begin("held", run_id="child", task={}, agents=[])
        await journal.flush()
        print("holding", flush=True)
        time.sleep(60)

    anyio.run(main)
    """
)


async def test_a_process_that_dies_holding_a_run_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    async with await anyio.open_process([sys.executable, "-c", HOLDER, str(path)]) as child:
        try:
            assert child.stdout is not None
            with anyio.fail_after(30):
                assert (await child.stdout.receive()).strip() == b"holding"
            journal = SqliteJournal(path)
            with pytest.raises(DuplicateRunError, match=rf"pid {child.pid}\)"):
                await journal.begin("held", run_id="parent", task={}, agents=[])
        finally:
            child.kill()  # SIGKILL: no cleanup of its own
    earlier = await journal.begin("held", run_id="parent", task={}, agents=[])
    assert earlier is not None and earlier.run_ids == ("child",) and not earlier.finished
    journal.release("held")
    await journal.aclose()


async def test_resume_by_key_runs_the_recorded_task(tmp_path: Path) -> None:
    calls: list[str] = []
    path = tmp_path / "runs.db"
    task = {"action": "payroll", "idempotency_key": "pay-3", "params": {"batch": 7}}
    first = workflow([Counted("a", calls, fail_first=1)], path)
    assert not (await first.run(task)).ok
    await first.journal.aclose()  # type: ignore[union-attr]
    again = workflow([Counted("a", calls)], path)
    result = await again.resume("pay-3")
    assert result.ok and result.task.params == {"batch": 7}
    assert result.task.idempotency_key == "pay-3"
    with pytest.raises(Exception, match="'nope' is not in the journal"):
        await again.resume("nope")
    await again.journal.aclose()  # type: ignore[union-attr]


async def test_every_agent_outcome_is_recorded_with_the_run(tmp_path: Path) -> None:
    calls: list[str] = []
    journal = MemoryJournal()
    result = await workflow([Counted("a", calls), Counted("b", calls, 5)], journal).run(
        {"action": "x"}
    )
    record = journal.run(result.run_id)  # no idempotency key: kept under its run id
    assert record.status == "failed"
    assert {n: (o.role, o.status) for n, o in record.outcomes.items()} == {
        "a": (Role.EXECUTOR.value, AgentStatus.SUCCEEDED.value),
        "b": (Role.EXECUTOR.value, AgentStatus.FAILED.value),
    }


FLAKY = textwrap.dedent(
    """
    import pathlib
    from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent

    FLAG = pathlib.Path(__file__).with_name("fail-once")

    class Once(BaseAgent):
        async def execute(self, task, ctx):
            calls = pathlib.Path(__file__).with_name(f"{self.name}.calls")
            calls.write_text(calls.read_text() + "x" if calls.exists() else "x")
            if self.name == "second" and FLAG.exists():
                FLAG.unlink()
                raise RuntimeError("the first attempt at this run fails")
            return len(calls.read_text())

    workflow = AsyncWorkflow([Once("first"), Once("second")],
                             AsyncWorkflowConfig(auto_store_proofs=False))
    """
)


def test_run_runs_and_resume_from_the_command_line(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from anyio_workflow.cli import app

    (tmp_path / "flow.py").write_text(FLAKY)
    (tmp_path / "fail-once").touch()
    journal, target = str(tmp_path / "runs.db"), f"{tmp_path}/flow.py:workflow"
    cli = CliRunner()
    first = cli.invoke(app, ["run", target, "--action", "pay", "--params", '{"batch": 3}',
                             "--key", "k-1", "--journal", journal, "--json"])  # fmt: skip
    assert first.exit_code == 1 and json.loads(first.stdout)["status"] == "failed"
    listed = json.loads(cli.invoke(app, ["runs", "--journal", journal, "--json"]).stdout)
    assert [(r["run"], r["status"], r["attempts"]) for r in listed["runs"]] == [
        ("k-1", "failed", 1)
    ]

    resumed = cli.invoke(app, ["resume", "k-1", target, "--journal", journal, "--json"])
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads(resumed.stdout)
    assert summary["status"] == "succeeded" and summary["receipts"] == [1, 2]
    assert (tmp_path / "first.calls").read_text() == "x"  # kept from the first attempt
    assert (tmp_path / "second.calls").read_text() == "xx"
    listed = json.loads(cli.invoke(app, ["runs", "--journal", journal, "--json"]).stdout)
    assert [(r["run"], r["status"], r["attempts"]) for r in listed["runs"]] == [
        ("k-1", "succeeded", 2)
    ]
    again = cli.invoke(app, ["resume", "k-1", target, "--journal", journal, "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["receipts"] == [1, 2]
    assert (tmp_path / "second.calls").read_text() == "xx"  # finished: nothing ran
    unknown = cli.invoke(app, ["resume", "nope", target, "--journal", journal])
    assert unknown.exit_code == 2 and "'nope' is not a run of" in unknown.output
