"""Hypothesis strategies for anyio-workflow's values: compose them in your own tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ..workflow.config import AsyncWorkflowConfig, RetryPolicy
from ..workflow.task import Task

__all__ = ["actions", "configs", "json_values", "retry_policies", "tasks"]

actions = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.:\-]{0,40}\Z")
"""Valid task action names."""

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
"""JSON-like values (no floats: amounts are integers in base units)."""


@st.composite
def tasks(draw: st.DrawFn, *, chain_ids: st.SearchStrategy[int] | None = None) -> Task:
    """Valid tasks with JSON-like params."""
    params = draw(st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=5))
    key = draw(st.none() | st.text(min_size=1, max_size=32))
    chain_id = draw(chain_ids if chain_ids is not None else st.integers(1, 2**32))
    return Task(action=draw(actions), params=params, chain_id=chain_id, idempotency_key=key)


@st.composite
def retry_policies(draw: st.DrawFn, *, max_attempts: int = 6) -> RetryPolicy:
    """Valid retry policies, with or without jitter."""
    base = draw(st.floats(0, 5, allow_nan=False))
    return RetryPolicy(
        attempts=draw(st.integers(1, max_attempts)),
        base_delay=base,
        max_delay=draw(st.floats(base, base + 60, allow_nan=False)),
        multiplier=draw(st.floats(1, 4, allow_nan=False)),
        jitter=draw(st.sampled_from(["full", "none"])),
    )


@st.composite
def configs(draw: st.DrawFn) -> AsyncWorkflowConfig:
    """Valid workflow configurations with small worker counts and budgets."""
    return AsyncWorkflowConfig(
        max_workers=draw(st.integers(1, 16)),
        gas_strategy=draw(st.sampled_from(["optimal", "fast", "eco", "custom"])),
        context_length=draw(st.integers(1, 200)),
        retry=draw(retry_policies()),
        fail_fast=draw(st.booleans()),
    )
