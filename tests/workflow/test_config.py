from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from anyio_workflow import AsyncWorkflowConfig, RetryPolicy
from anyio_workflow.testing import strategies as aws


def test_defaults_are_the_seeds() -> None:
    config = AsyncWorkflowConfig()
    assert config.max_workers == 8
    assert config.gas_strategy == "optimal"
    assert config.auto_store_proofs is True
    assert config.rpc_fallback is True
    assert config.context_length == 16_384
    assert config.retry.attempts == 3
    assert config.fail_fast is True
    assert config.timeout is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_workers", 0, "greater than or equal to 1"),
        ("max_workers", "8", "valid integer"),
        ("gas_strategy", "turbo", "'optimal', 'fast', 'eco' or 'custom'"),
        ("auto_store_proofs", "yes", "valid boolean"),
        ("context_length", -5, "greater than or equal to 1"),
        ("timeout", 0, "greater than 0"),
        ("fail_fast", 1, "valid boolean"),
        ("max_wokers", 4, "Extra inputs are not permitted"),
    ],
)
def test_bad_values_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        AsyncWorkflowConfig(**{field: value})  # type: ignore[arg-type]
    (error,) = info.value.errors()
    assert error["loc"] == (field,)
    assert message in str(info.value)


def test_nested_retry_errors_name_the_path() -> None:
    with pytest.raises(ValidationError) as info:
        AsyncWorkflowConfig(retry={"attempts": 0})  # type: ignore[arg-type]
    assert info.value.errors()[0]["loc"] == ("retry", "attempts")
    with pytest.raises(ValidationError, match="max_delay must be at least base_delay"):
        RetryPolicy(base_delay=5, max_delay=1)


def test_config_is_frozen() -> None:
    config = AsyncWorkflowConfig()
    with pytest.raises(ValidationError, match="frozen"):
        config.max_workers = 3  # type: ignore[misc]


@given(policy=aws.retry_policies(), retry=st.integers(1, 50), seed=st.integers())
def test_backoff_is_bounded_and_follows_the_policy(
    policy: RetryPolicy, retry: int, seed: int
) -> None:
    ceiling = policy.ceiling(retry)
    assert 0 <= ceiling <= policy.max_delay
    expected = min(policy.max_delay, policy.base_delay * policy.multiplier ** (retry - 1))
    assert ceiling == pytest.approx(expected)
    if retry > 1:
        assert policy.ceiling(retry - 1) <= ceiling
    delay = policy.delay(retry, random.Random(seed))
    assert 0 <= delay <= ceiling
    if policy.jitter == "none":
        assert delay == ceiling


def test_full_jitter_spreads_delays() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=1)
    rng = random.Random(7)
    delays = [policy.delay(1, rng) for _ in range(200)]
    assert min(delays) < 0.1 and max(delays) > 0.9
