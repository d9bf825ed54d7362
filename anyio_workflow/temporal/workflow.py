"""The Temporal workflow that runs an :class:`~anyio_workflow.AsyncWorkflow`: the three
phases are its code, each agent attempt an activity.

This module is the workflow's deterministic side: it imports Temporal and the standard
library only, and sees agents as names and roles. The plan (the agents, the config) comes
from an activity, so that it is in the workflow's history; what agents return crosses as
JSON (:mod:`anyio_workflow.temporal.codec`).

The phases keep their in-process meaning:

- validators run concurrently; a veto or an error cancels the others, and no executor runs;
- executors run concurrently, at most ``max_workers`` at once; with ``fail_fast`` a fatal
  failure cancels its siblings (each cancellation is waited for: an activity cancelled
  after its broadcast has recorded it in the journal before the run goes on);
- the run's deadline (``timeout``, or the task's ``deadline``) cancels what still runs;
- auditors always run last, with the run's status, the outcomes and every transaction
  the journal holds for the run, also when the workflow itself is cancelled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
)

__all__ = ["ATTEMPT", "PLAN", "WORKFLOW", "RunWorkflow"]

WORKFLOW = "anyio-workflow"
"""The Temporal workflow type every :class:`~anyio_workflow.AsyncWorkflow` runs as."""
PLAN = "anyio-workflow.plan"
ATTEMPT = "anyio-workflow.attempt"

_FAILED = ("failed", "vetoed")
_SEEN_BY = {"validator": (), "executor": ("validator",), "auditor": ("validator", "executor")}


@workflow.defn(name=WORKFLOW)
class RunWorkflow:
    """One run. Signal ``approve`` (an approval's JSON) feeds
    :class:`~anyio_workflow.temporal.TemporalApprovals`; query ``approvals`` lists those
    signalled, ``progress`` each agent's status."""

    def __init__(self) -> None:
        self._approvals: list[dict[str, Any]] = []
        self._outcomes: dict[str, dict[str, Any]] = {}
        self._plan: dict[str, Any] = {}
        self._status: str | None = None
        self._error: dict[str, Any] | None = None
        self._phase: str | None = None
        self._steps = 0
        self._started = 0.0
        self._stopping = False
        self._running: dict[Any, str] = {}  # activity handle -> agent

    @workflow.signal(name="approve")
    def approve(self, approval: dict[str, Any]) -> None:
        self._approvals.append(approval)

    @workflow.query(name="approvals")
    def approvals(self) -> list[dict[str, Any]]:
        return list(self._approvals)

    @workflow.query(name="progress")
    def progress(self) -> dict[str, Any]:
        return {
            "status": self._status, "phase": self._phase, "steps": self._steps,
            "agents": {name: o["status"] for name, o in self._outcomes.items()},
        }  # fmt: skip

    @workflow.run
    async def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """The run: plan, validators, executors, auditors; its summary (what
        :func:`~anyio_workflow.temporal.result` reads as a ``WorkflowResult``).

        Cancellation (of the Temporal workflow): the agents running are cancelled (each
        cancellation waited for), the auditors record the cancelled run, and the summary
        says ``cancelled``: what a run cancelled from outside had done stays readable."""
        plan = self._plan = await workflow.execute_activity(
            PLAN, request, start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=0.5),
                                     maximum_attempts=20),
        )  # fmt: skip
        self._started = workflow.time()
        for name, role in plan["agents"]:
            self._outcomes[name] = {"agent": name, "role": role, "status": "pending",
                                    "attempts": 0, "output": None, "error": None,
                                    "started": None, "finished": None}  # fmt: skip
        deadline = None if plan["deadline"] is None else self._started + plan["deadline"]
        try:
            await self._phase_of("validator", deadline)
            if self._status is None:
                await self._phase_of("executor", deadline)
            if self._status is None:
                self._settle()
        except BaseException:  # the workflow was cancelled: its agents stop, it is recorded
            self._status = "cancelled"
            self._error = {"type": "RunCancelled", "message": "the run was cancelled"}
            running = self._running
            for handle in running:
                handle.cancel()
            if running:
                await workflow.wait(list(running))
            for handle, name in running.items():
                self._collect(name, handle)
        await self._audit()
        info = workflow.info()
        return {
            "run_id": info.run_id, "key": info.workflow_id, "workflow": plan["workflow"],
            "task": plan["task"], "status": self._status, "error": self._error,
            "outcomes": [self._outcomes[name] for name, _ in plan["agents"]],
            "steps": self._steps, "started": self._started, "finished": workflow.time(),
        }  # fmt: skip

    def _names(self, role: str) -> list[str]:
        return [name for name, r in self._plan["agents"] if r == role]

    async def _phase_of(self, role: str, deadline: float | None) -> None:
        pending = self._names(role)
        if not pending:
            return
        self._phase = role
        running = self._running = {}
        while pending or running:
            while pending and not self._stopping and len(running) < self._plan["max_workers"]:
                name = pending.pop(0)
                running[self._start(name)] = name
            if not running:
                break
            left = None if deadline is None else max(deadline - workflow.time(), 0.0)
            done, _ = await workflow.wait(
                list(running), timeout=left, return_when="FIRST_COMPLETED"
            )
            if not done and not self._stopping:  # the run's deadline passed
                cut = ", ".join(running.values())
                self._fail("timed_out", {"type": "DeadlinePassed", "message":
                           f"the run's deadline ({self._plan['deadline']:.3g} s) passed; "
                           f"cut short: {cut[:400]}"})  # fmt: skip
                deadline = None
            for handle in done:
                name = running.pop(handle)
                if self._collect(name, handle) and not self._stopping:
                    outcome = self._outcomes[name]
                    vetoed = outcome["status"] == "vetoed" and role == "validator"
                    self._fail("vetoed" if vetoed else "failed", outcome["error"])
            if self._stopping:
                for handle in running:
                    handle.cancel()
        self._stopping = False
        for name in pending:
            self._outcomes[name]["status"] = "skipped"

    def _fail(self, status: str, error: dict[str, Any] | None) -> None:
        if self._status is None:
            self._status, self._error = status, error
        self._stopping = True

    def _start(self, name: str) -> Any:
        outcome = self._outcomes[name]
        outcome["started"] = workflow.time()
        plan = self._plan
        info = workflow.info()
        request = {
            "workflow": plan["workflow"], "task": plan["task"], "agent": name,
            "role": outcome["role"],
            "run_id": info.run_id, "status": self._status, "steps": self._steps,
            "elapsed": workflow.time() - self._started,
            # Auditors see every agent's outcome; the others, those of earlier phases
            # (the executors' own would grow each input with the run).
            "outcomes": [o for o in self._outcomes.values()
                         if o["role"] in _SEEN_BY[outcome["role"]] and o["status"] != "pending"],
        }  # fmt: skip
        auditor = outcome["role"] == "auditor"
        timeout = plan["audit_timeout"] if auditor else plan["attempt_timeout"]
        retry = plan["retry"]
        return workflow.start_activity(
            ATTEMPT, request, activity_id=name,
            start_to_close_timeout=timedelta(seconds=timeout),
            heartbeat_timeout=timedelta(seconds=plan["heartbeat"]),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=retry["base_delay"]),
                backoff_coefficient=retry["multiplier"],
                maximum_interval=timedelta(seconds=retry["max_delay"]),
                maximum_attempts=retry["attempts"],
            ),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )  # fmt: skip

    def _collect(self, name: str, handle: Any) -> bool:
        """Fold a finished activity into its outcome; whether its failure is fatal."""
        outcome = self._outcomes[name]
        outcome["finished"] = workflow.time()
        try:
            report = dict(handle.result())
        except ActivityError as failure:
            report = _report_of(failure, self._plan["retry"]["attempts"])
        except BaseException:  # the handle itself was cancelled (not the workflow)
            report = {"status": "cancelled"}
        outcome.update({k: report[k] for k in ("status", "attempts", "output", "error")
                        if k in report})  # fmt: skip
        self._steps += int(report.get("charged", 0))
        if outcome["status"] not in _FAILED or outcome["role"] == "auditor":
            return False
        if outcome["role"] == "validator" or report.get("exhausted"):
            return True
        return bool(self._plan["fail_fast"])

    def _settle(self) -> None:
        for name in self._names("executor"):
            outcome = self._outcomes[name]
            if outcome["status"] in _FAILED:
                self._status, self._error = "failed", outcome["error"]
                return
        self._status = "succeeded"

    async def _audit(self) -> None:
        names = self._names("auditor")
        if names:
            self._phase = "auditor"
            handles = {self._start(name): name for name in names}
            await workflow.wait(list(handles))
            for handle, name in handles.items():
                self._collect(name, handle)
        for outcome in self._outcomes.values():
            if outcome["status"] == "pending":
                outcome["status"] = "skipped"
        if not self._plan["auto_store_proofs"] or self._status != "succeeded":
            return
        for name in names:  # a run nobody could audit did not succeed
            outcome = self._outcomes[name]
            if outcome["status"] != "succeeded":
                why = (outcome["error"] or {}).get("message", outcome["status"])
                self._status = "failed"
                self._error = {
                    "type": "RecordNotStored",
                    "message": f"the run's record was not stored: {name} {why}",
                }
                return


def _report_of(failure: ActivityError, attempts: int) -> dict[str, Any]:
    """What a failed activity says of its agent: our report when the activity raised one,
    else a cancellation or a timeout."""
    cause = failure.cause
    if isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict):
        return dict(cause.details[0])
    if isinstance(cause, CancelledError):
        return {"status": "cancelled"}
    if isinstance(cause, TimeoutError):
        message = f"the attempt timed out ({cause.type.name if cause.type else 'timeout'})"
        error = {"type": "AttemptTimeout", "message": message, "transient": True}
        return {"status": "failed", "attempts": attempts, "error": error}
    message = str(cause or failure)
    return {"status": "failed", "error": {"type": type(cause).__name__, "message": message}}
