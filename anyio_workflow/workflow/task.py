"""The task model lives in the bottom layer (:mod:`anyio_workflow.core.task`)."""

from ..core.task import Task, TaskLike

__all__ = ["Task", "TaskLike"]
