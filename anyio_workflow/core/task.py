"""The :class:`Task` model: what a run is asked to do, validated before any agent runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import InvalidArgument
from .chainref import chain_ref

__all__ = ["Task", "TaskLike"]

_FIELDS = frozenset({"action", "params", "chain_id", "deadline", "idempotency_key"})


class Task(BaseModel):
    """One unit of work for a workflow.

    ``deadline`` is an absolute, timezone-aware time; the run stops there (its status is
    ``timed_out``) if ``AsyncWorkflowConfig.timeout`` does not stop it first.
    ``idempotency_key``, when given, makes a repeated run of the same key return the
    first successful result instead of running again (within one process).

    Besides ``{"action": ..., "params": {...}}``, a mapping may use the seed's flat form
    ``{"type": "approve_budget", "amount": "750000 DAI"}``: ``type`` names the action and
    the keys that are not fields of ``Task`` become ``params``. The flat form applies only
    when the mapping has no ``params`` key; otherwise an unknown key is an error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_.:\-]*$")
    params: dict[str, Any] = Field(default_factory=dict)
    chain_id: int | str | None = Field(
        default=None, description='An EVM chain id, or a CAIP-2 id ("eip155:137", "solana:...").'
    )
    deadline: AwareDatetime | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=256)

    @field_validator("chain_id", mode="before")
    @classmethod
    def _chain(cls, value: Any) -> Any:
        """An ``int`` as is (a positive one); a CAIP-2 id to its chain: ``"eip155:137"``
        is 137, a Solana cluster stays its id."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidArgument(f"{value!r} is not a chain id (an int, or a CAIP-2 id)")
        return chain_ref(value, "chain_id")

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "params" in data:
            return data
        data = dict(data)
        if "action" not in data and "type" in data:
            data["action"] = data.pop("type")
        params = {key: data.pop(key) for key in list(data) if key not in _FIELDS}
        if params:
            data["params"] = params
        return data

    @classmethod
    def coerce(
        cls,
        task: TaskLike,
        *,
        chain_id: int | str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Task:
        """Turn the forms ``run()`` accepts into a ``Task`` whose ``chain_id`` is set.

        The chain id is the explicit argument, else the task's own, else 1 (Ethereum
        mainnet, the seed's default). Raises ``ValidationError`` for a malformed task and
        ``ValueError`` when the two chain ids or two sets of params disagree.
        """
        if isinstance(task, str):
            model = cls(action=task, params=dict(params or {}))
        else:
            if params is not None:
                raise InvalidArgument(
                    "params: give params either inside the task or as params=, not both"
                )
            model = task if isinstance(task, Task) else cls.model_validate(task)
        if chain_id is not None:
            chain_id = chain_ref(chain_id, "chain_id")
        if chain_id is not None and model.chain_id is not None and chain_id != model.chain_id:
            raise InvalidArgument(
                f"chain_id: run(chain_id={chain_id}) disagrees with task.chain_id={model.chain_id}"
            )
        resolved = chain_id if chain_id is not None else model.chain_id or 1
        if resolved == model.chain_id:
            return model
        # Validate the explicit chain id like any other field.
        return cls.model_validate(
            {**model.model_dump(), "chain_id": resolved, "params": model.params}
        )


TaskLike = str | Mapping[str, Any] | Task
