"""Whatever a node sends back, the client answers with a result or a typed error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow.errors import (
    EndpointsExhausted,
    ExecutionReverted,
    HttpStatusError,
    InternalError,
    InvalidInput,
    InvalidParams,
    InvalidRequest,
    InvalidResponse,
    JsonRpcError,
    LimitExceeded,
    MethodNotFound,
    MethodNotSupported,
    ParseError,
    ResourceNotFound,
    ResourceUnavailable,
    RpcError,
    TransactionRejected,
    error_from_answer,
)
from anyio_workflow.rpc import HttpTransport, JsonRpcClient
from anyio_workflow.testing.strategies import json_values


def canned(bodies: list[bytes], status: int = 200) -> HttpTransport:
    """An HttpTransport whose HTTP layer answers with the given bodies, in turn."""
    answers = iter(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=next(answers, bodies[-1]))

    return HttpTransport("http://node.test/", transport=httpx.MockTransport(handler))


def ok(id_: Any, result: Any = "0x1") -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "result": result}


valid = st.builds(ok, st.just(1), json_values)
wrong_id = st.builds(ok, st.one_of(st.integers(2, 99), st.text(), st.none(), st.booleans()))
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    valid.map(lambda v: json.dumps(v).encode()).flatmap(
        lambda b: st.integers(0, len(b)).map(lambda n: b[:n])
    ),
    wrong_id.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0"), "id": st.just(1)},
        optional={"result": json_values, "error": json_values},
    ).map(lambda v: json.dumps(v).encode()),
)


def success_for(answer: Any, id_: int) -> bool:
    """Whether ``answer`` is a well-formed JSON-RPC success answer to request ``id_``."""
    return (
        isinstance(answer, dict)
        and answer.get("jsonrpc") == "2.0"
        and type(answer.get("id")) is int
        and answer["id"] == id_
        and "result" in answer
        and "error" not in answer
    )


def decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
async def test_any_single_answer_gives_a_result_or_a_typed_error(body: bytes) -> None:
    answer = decoded(body)
    error: RpcError | None = None
    async with JsonRpcClient(canned([body]), coalesce=False, retry=None) as client:
        try:
            result = await client.request("eth_chainId")
        except RpcError as exc:
            error = exc
    if error is not None:
        assert error.method == "eth_chainId"
        # Only an answer that is not a success for this request may become an error.
        assert not success_for(answer, 1), body
        return
    assert success_for(answer, 1), body
    assert result == answer["result"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies | st.lists(valid | wrong_id, max_size=4).map(lambda v: json.dumps(v).encode()))
async def test_any_batch_answer_gives_results_or_typed_errors(body: bytes) -> None:
    answer = decoded(body)
    async with JsonRpcClient(canned([body]), coalesce=False, retry=None) as client:
        try:
            results = await client.batch(
                [("eth_chainId", []), ("eth_blockNumber", [])], return_exceptions=True
            )
        except RpcError:
            # The whole batch fails only when no answer in it is a success for a request.
            items = answer if isinstance(answer, list) else []
            assert not any(success_for(a, i) for a in items for i in (1, 2)), body
            return
    assert len(results) == 2
    items = answer if isinstance(answer, list) else []
    for id_, result in enumerate(results, start=1):
        matches = [
            item
            for item in items
            if isinstance(item, dict) and type(item.get("id")) is int and item["id"] == id_
        ]
        if isinstance(result, BaseException):
            assert isinstance(result, RpcError), result
            assert not (len(matches) == 1 and success_for(matches[0], id_)), body
        else:
            assert len(matches) == 1 and success_for(matches[0], id_), body
            assert result == matches[0]["result"]


async def test_a_batch_answered_out_of_order_is_matched_by_id() -> None:
    body = json.dumps([ok(2, "b"), ok(1, "a")]).encode()
    async with JsonRpcClient(canned([body]), coalesce=False) as client:
        assert await client.batch([("x", []), ("y", [])]) == ["a", "b"]


async def test_duplicate_ids_in_a_batch_are_invalid() -> None:
    body = json.dumps([ok(1, "a"), ok(1, "again"), ok(2, "b")]).encode()
    async with JsonRpcClient(canned([body]), coalesce=False) as client:
        results = await client.batch([("x", []), ("y", [])], return_exceptions=True)
    assert isinstance(results[0], InvalidResponse)
    assert results[1] == "b"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_transient_http_statuses(status: int) -> None:
    async with JsonRpcClient(canned([b""], status=status), retry=None) as client:
        with pytest.raises(HttpStatusError) as info:
            await client.request("eth_chainId")
    assert info.value.status == status
    assert info.value.transient


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_permanent_http_statuses(status: int) -> None:
    async with JsonRpcClient(canned([b""], status=status)) as client:
        with pytest.raises(HttpStatusError) as info:
            await client.request("eth_chainId")
    assert not info.value.transient


@pytest.mark.parametrize(
    ("code", "message", "cls", "transient"),
    [
        (-32700, "parse error", ParseError, False),
        (-32600, "invalid request", InvalidRequest, False),
        (-32601, "method not found", MethodNotFound, False),
        (-32602, "invalid params", InvalidParams, False),
        (-32603, "internal error", InternalError, True),
        (-32000, "nonce too low", InvalidInput, False),
        (-32001, "not found", ResourceNotFound, False),
        (-32002, "unavailable", ResourceUnavailable, True),
        (-32003, "rejected", TransactionRejected, False),
        (-32004, "not supported", MethodNotSupported, False),
        (-32005, "limit exceeded", LimitExceeded, True),
        (429, "Too Many Requests", LimitExceeded, True),
        (-32000, "daily request count exceeded, request rate limited", LimitExceeded, True),
        (3, "execution reverted", ExecutionReverted, False),
        (-32000, "execution reverted", ExecutionReverted, False),
        (-31999, "something else", JsonRpcError, False),
    ],
)
def test_error_codes_map_to_classes(
    code: int, message: str, cls: type[JsonRpcError], transient: bool
) -> None:
    error = error_from_answer({"code": code, "message": message}, method="m", endpoint="e")
    assert type(error) is cls
    assert error.transient is transient
    assert isinstance(error, JsonRpcError)
    assert (error.code, error.method, error.endpoint) == (code, "m", "e")


def test_a_malformed_error_member_is_invalid() -> None:
    assert isinstance(error_from_answer({"code": "1", "message": "x"}), InvalidResponse)
    assert isinstance(error_from_answer("boom"), InvalidResponse)


def test_endpoints_exhausted_lists_each_failure() -> None:
    errors: list[RpcError] = [HttpStatusError(503, endpoint="http://a"), InvalidResponse("x")]
    error = EndpointsExhausted(errors, method="eth_call")
    assert "http://a: HTTP 503" in str(error)
    assert error.transient
