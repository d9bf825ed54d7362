"""The activities a worker runs for :class:`~anyio_workflow.temporal.RunWorkflow`: the plan
of a run, and one attempt of one agent.

Exactly once across workers rests on the journal, by the same rule as in one process:
an agent's transactions are journaled (signed bytes durable before the first broadcast)
under the run's key and the agent's name, in the workflow's journal, which the workers
share (a SQLite file on their machine). An attempt holds its agent against every other
attempt (the journal's run lock, freed when a worker dies, even by SIGKILL); an attempt
that runs again, on this worker or another, meets the intents of the attempts before it
and reconciles them with the chain before it signs anything new; an agent whose attempt
succeeded but whose worker died before Temporal heard of it is not run again: its
recorded output is the answer. Workers that send from the same account take nonces under
a shared lease (``NonceManagers(shared=...)``), which :func:`~anyio_workflow.temporal.worker`
checks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..core.roles import Role
from ..core.status import AgentStatus, RunStatus
from ..core.task import Task
from ..errors import DuplicateRunError, NotFound, UsageError, one_error
from ..journal.journal import FINAL, Journal
from ..workflow.engine import AsyncWorkflow
from ..workflow.remote import Sent
from .codec import error_json, outcome_from_json, pack
from .workflow import ATTEMPT, PLAN

__all__ = ["Activities"]

_HELD_POLL = 0.2
"""Seconds between two looks at an agent held by another attempt (one Temporal gave up on,
in a worker that still runs it); the holder's death frees it at once."""


class Activities:
    """The activities of a worker serving ``workflows`` (by name).

    :param heartbeat_timeout: seconds after which Temporal gives up on an attempt whose
        worker stopped heart-beating (a worker that died), and runs it again elsewhere.
    :param activity_timeout: seconds one attempt may take when the workflow's
        ``RetryPolicy`` sets no ``attempt_timeout`` (an approval may take days).
    """

    def __init__(
        self,
        workflows: Mapping[str, AsyncWorkflow],
        *,
        heartbeat_timeout: float = 10.0,
        activity_timeout: float = 30 * 86400.0,
    ) -> None:
        self.workflows = dict(workflows)
        self.heartbeat_timeout = heartbeat_timeout
        self.activity_timeout = activity_timeout

    def _workflow(self, name: str | None) -> tuple[str, AsyncWorkflow]:
        if name is None:
            if len(self.workflows) != 1:
                raise _fatal(NotFound(
                    f"workflow: this worker serves {sorted(self.workflows)}; name one"
                ))  # fmt: skip
            name = next(iter(self.workflows))
        try:
            return name, self.workflows[name]
        except KeyError:
            known = ", ".join(sorted(self.workflows))
            unknown = NotFound(f"workflow: {name!r} is not served here (known: {known})")
            raise _fatal(unknown) from None

    @activity.defn(name=PLAN)
    async def plan(self, request: dict[str, Any]) -> dict[str, Any]:
        """The run's plan: the task, its agents by unique name and role, and the settings
        the workflow schedules them with.

        Cancellation: nothing to undo; it reads only."""
        name, workflow = self._workflow(request.get("workflow"))
        try:
            task, agents = workflow.plan(request["task"])
        except Exception as exc:
            raise _fatal(exc) from None
        config = workflow.config
        deadline = config.timeout
        if task.deadline is not None:
            left = max((task.deadline - datetime.now(UTC)).total_seconds(), 0.0)
            deadline = left if deadline is None else min(deadline, left)
        retry = config.retry
        return {
            "workflow": name, "task": task.model_dump(mode="json"),
            "agents": [[agent_name, agent.role.value] for agent_name, agent in agents],
            "max_workers": config.max_workers, "fail_fast": config.fail_fast,
            "deadline": deadline, "audit_timeout": config.audit_timeout,
            "auto_store_proofs": config.auto_store_proofs,
            "attempt_timeout": retry.attempt_timeout or self.activity_timeout,
            "heartbeat": self.heartbeat_timeout,
            "retry": {"attempts": retry.attempts, "base_delay": max(retry.base_delay, 0.001),
                      "max_delay": max(retry.max_delay, 0.001),
                      "multiplier": retry.multiplier},
        }  # fmt: skip

    @activity.defn(name=ATTEMPT)
    async def attempt(self, request: dict[str, Any]) -> dict[str, Any]:
        """One attempt of one agent: its report (status, output, error, steps charged);
        a failure raises an ``ApplicationError`` carrying the report, retryable when the
        agent's error is transient.

        Cancellation: the agent is cancelled as in one process; what it sent is in the
        journal, where the auditors find it."""
        with one_error():  # the agent's failure is the activity's, not a group's
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._heartbeat)
                try:
                    report = await self._attempt(request)
                finally:
                    tg.cancel_scope.cancel()
        return report

    async def _heartbeat(self) -> None:
        while True:
            activity.heartbeat()
            await anyio.sleep(self.heartbeat_timeout / 4)

    async def _attempt(self, request: dict[str, Any]) -> dict[str, Any]:
        info = activity.info()
        run = _run_of(info)
        _, workflow = self._workflow(request["workflow"])
        journal = workflow.journal
        assert journal is not None  # worker() refuses workflows without one
        agent = request["agent"]
        key = f"{run}/{agent}"
        task = Task.model_validate(request["task"])
        while True:  # an attempt Temporal gave up on may still run: wait until it lets go
            try:
                earlier = await journal.begin(
                    key, run_id=f"{request['run_id']}:{info.attempt}", task=request["task"],
                    agents=[agent],
                )  # fmt: skip
                break
            except DuplicateRunError:  # heart-beating meanwhile; a dead holder's lock is free
                await anyio.sleep(_HELD_POLL)
        try:
            if earlier is not None and earlier.status == AgentStatus.SUCCEEDED.value:
                record = earlier.outcomes.get(agent)
                if record is not None:  # it succeeded; its worker died before saying so
                    found, output = journal.output(record)
                    if found:
                        return {"status": "succeeded", "attempts": info.attempt,
                                "output": pack(output), "error": None, "charged": 0}  # fmt: skip
            outcomes = [outcome_from_json(o, journal.trusted) for o in request["outcomes"]]
            roles = {o.agent: o.role for o in outcomes}
            auditor = request.get("role") == Role.AUDITOR.value
            sent = self._sent_elsewhere(journal, run, agent, roles) if auditor else []
            status = RunStatus(request["status"]) if request.get("status") else None
            journal.retake(key, agent)  # an earlier attempt in this worker: meet its sends
            one = workflow.attempt(
                task, agent, key=key, run_id=request["run_id"], outcomes=outcomes,
                status=status, sent=sent, steps=request["steps"], elapsed=request["elapsed"],
            )  # fmt: skip
            await one.run()
            outcome = one.outcome
            final = outcome.status is AgentStatus.SUCCEEDED or not one.transient
            journal.agent_finished(
                key, agent=agent, role=outcome.role.value, status=outcome.status.value,
                attempts=info.attempt, output=outcome.output,
            )  # fmt: skip
            if final:
                await journal.finish(key, outcome.status.value)
        finally:  # cancelled or not: what it queued is on disk before another worker holds it
            await journal.hand_over(key)
        report = {
            "status": outcome.status.value, "attempts": info.attempt,
            "output": pack(outcome.output),
            "error": error_json(outcome.error) if outcome.error is not None else None,
            # Every attempt is a step, as in one process; those before this one included.
            "charged": 0 if outcome.role is Role.AUDITOR
            else one.steps - request["steps"] + info.attempt - 1,
            "exhausted": one.exhausted,
        }  # fmt: skip
        if outcome.status is AgentStatus.SUCCEEDED:
            return report
        assert outcome.error is not None
        raise ApplicationError(
            str(outcome.error), report,
            type=type(outcome.error).__name__, non_retryable=not one.transient,
        )  # fmt: skip

    @staticmethod
    def _sent_elsewhere(
        journal: Journal, run: str, agent: str, roles: Mapping[str, Role]
    ) -> list[Sent]:
        """For an auditor: what every other agent of the run sent, as the journal holds
        it (whatever became of the attempts that sent it)."""
        prefix = run + "/"
        return [
            (entry.agent, entry.chain_id, tx_hash, entry.state in FINAL)
            for entry in journal.entries()
            if entry.run_id.startswith(prefix) and entry.agent != agent
            and roles.get(entry.agent) is not Role.AUDITOR
            for tx_hash in entry.pending
        ]  # fmt: skip


def _run_of(info: activity.Info) -> str:
    """The run (the Temporal workflow id) an attempt belongs to."""
    if info.workflow_id is None:
        raise _fatal(UsageError("an agent's attempt runs only as a workflow's activity"))
    return info.workflow_id


def _fatal(error: Exception) -> ApplicationError:
    """``error`` as a failure Temporal does not retry (a malformed task, an unknown name)."""
    message = getattr(error, "short_message", None) or str(error)
    return ApplicationError(message, type=type(error).__name__, non_retryable=True)
