from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from pydantic import ValidationError

from anyio_workflow import Task
from anyio_workflow.testing import strategies as aws


def test_string_with_params_is_the_seeds_form() -> None:
    task = Task.coerce("mint_erc721_batch", params={"count": 100})
    assert task == Task(action="mint_erc721_batch", params={"count": 100}, chain_id=1)


def test_mapping_with_action_and_params() -> None:
    task = Task.coerce({"action": "optimize_yield", "params": {"risk": "medium"}}, chain_id=137)
    assert (task.action, task.params, task.chain_id) == ("optimize_yield", {"risk": "medium"}, 137)


def test_seed_flat_form_moves_extra_keys_into_params() -> None:
    task = Task.coerce({"type": "approve_budget", "amount": "750000 DAI", "recipient": "0xV"})
    assert task.action == "approve_budget"
    assert task.params == {"amount": "750000 DAI", "recipient": "0xV"}


def test_unknown_key_beside_params_is_an_error() -> None:
    with pytest.raises(ValidationError) as info:
        Task.coerce({"action": "a", "params": {}, "chainid": 5})
    assert info.value.errors()[0]["loc"] == ("chainid",)


@pytest.mark.parametrize(
    ("task", "field"),
    [
        ({"action": ""}, "action"),
        ({"action": "has space"}, "action"),
        ({"action": "a", "chain_id": 0}, "chain_id"),
        ({"action": "a", "chain_id": "1"}, "chain_id"),
        ({"action": "a", "chain_id": True}, "chain_id"),
        ({"action": "a", "chain_id": 1.0}, "chain_id"),
        ({"action": "a", "chain_id": "eip155:0"}, "chain_id"),
        ({"action": "a", "chain_id": "solana:short"}, "chain_id"),
        ({"action": "a", "deadline": datetime(2030, 1, 1)}, "deadline"),
        ({"params": {}}, "action"),
    ],
)
def test_bad_tasks_name_the_field(task: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Task.coerce(task)
    assert info.value.errors()[0]["loc"] == (field,)


def test_a_chain_is_an_evm_chain_id_or_a_caip2_id() -> None:
    from anyio_workflow.chains import SOLANA_MAINNET

    assert Task(action="a", chain_id="eip155:137").chain_id == 137
    assert Task.coerce("a", chain_id="eip155:10").chain_id == 10
    assert Task.coerce("a", chain_id=SOLANA_MAINNET).chain_id == SOLANA_MAINNET
    assert Task.coerce(Task(action="a", chain_id=137), chain_id="eip155:137").chain_id == 137
    with pytest.raises(ValueError, match="disagrees"):
        Task.coerce(Task(action="a", chain_id=1), chain_id=SOLANA_MAINNET)


def test_chain_ids_that_disagree_are_an_error() -> None:
    with pytest.raises(ValueError, match=r"chain_id: run\(chain_id=5\) disagrees"):
        Task.coerce(Task(action="a", chain_id=1), chain_id=5)
    with pytest.raises(ValueError, match="params: give params either"):
        Task.coerce({"action": "a"}, params={"x": 1})


@given(task=aws.tasks())
def test_tasks_survive_coercion_and_json(task: Task) -> None:
    assert Task.coerce(task) == task
    assert Task.coerce(task.model_dump()) == task
    assert Task.model_validate_json(task.model_dump_json()) == task
