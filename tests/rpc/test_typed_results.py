"""Whatever a node puts in a result, the typed helpers give a typed value or an
InvalidResponse that names the method and the endpoint: never another exception."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow.errors import InvalidResponse
from anyio_workflow.rpc import EthRpc, FeeHistory, HttpTransport, JsonRpcClient
from anyio_workflow.testing.strategies import json_values

ADDRESS = "0x" + "11" * 20
HELPERS: dict[str, Callable[[EthRpc], Awaitable[Any]]] = {
    "chain_id": lambda eth: eth.chain_id(),
    "block_number": lambda eth: eth.block_number(),
    "get_balance": lambda eth: eth.get_balance(ADDRESS),
    "get_transaction_count": lambda eth: eth.get_transaction_count(ADDRESS),
    "get_code": lambda eth: eth.get_code(ADDRESS),
    "call": lambda eth: eth.call({"to": ADDRESS}),
    "estimate_gas": lambda eth: eth.estimate_gas({"to": ADDRESS}),
    "gas_price": lambda eth: eth.gas_price(),
    "max_priority_fee_per_gas": lambda eth: eth.max_priority_fee_per_gas(),
    "fee_history": lambda eth: eth.fee_history(4, "latest", [50.0]),
    "get_transaction": lambda eth: eth.get_transaction("0x" + "22" * 32),
    "get_transaction_receipt": lambda eth: eth.get_transaction_receipt("0x" + "22" * 32),
    "get_block": lambda eth: eth.get_block("latest"),
    "get_logs": lambda eth: eth.get_logs({}),
    "genesis_hash": lambda eth: eth.genesis_hash(),
}
TYPES: dict[str, Any] = {
    "get_code": bytes, "call": bytes, "fee_history": FeeHistory, "get_logs": list,
    "get_transaction": (dict, type(None)), "get_transaction_receipt": (dict, type(None)),
    "get_block": (dict, type(None)), "genesis_hash": str,
}  # fmt: skip

hexes = st.integers(0, 2**300).map(hex) | st.text(alphabet="0123456789abcdefx", max_size=70)
results = st.one_of(
    json_values,
    hexes,
    st.fixed_dictionaries(
        {},
        optional={
            "baseFeePerGas": st.lists(hexes | json_values, max_size=3),
            "gasUsedRatio": st.lists(st.floats() | st.integers() | json_values, max_size=3),
            "oldestBlock": hexes,
            "reward": st.lists(st.lists(hexes, max_size=2) | json_values, max_size=3),
            "transactionHash": st.text(max_size=5) | st.integers(),
            "status": hexes | json_values, "blockNumber": hexes, "gasUsed": hexes,
            "effectiveGasPrice": hexes, "hash": st.text(max_size=5), "logs": json_values,
        },
    ),
)  # fmt: skip


def node(result: Any) -> HttpTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        answer = {"jsonrpc": "2.0", "id": body["id"], "result": result}
        return httpx.Response(200, content=json.dumps(answer).encode())

    return HttpTransport("http://node.test/", transport=httpx.MockTransport(handler))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=results, helper=st.sampled_from(sorted(HELPERS)))
async def test_any_result_is_typed_or_an_invalid_response(result: Any, helper: str) -> None:
    error: InvalidResponse | None = None
    async with JsonRpcClient(node(result), retry=None, coalesce=False) as client:
        try:
            value = await HELPERS[helper](EthRpc(client))
        except InvalidResponse as exc:
            error = exc
    if error is not None:
        assert error.method and error.method.startswith("eth_"), error
        assert error.endpoint == "http://node.test/"
        return
    assert isinstance(value, TYPES.get(helper, int)), (helper, value)
    if isinstance(value, int):
        assert 0 <= value < 2**256


async def test_a_quantity_of_838_million_bits_is_refused_without_parsing_it() -> None:
    async with JsonRpcClient(node("0x" + "f" * 100_000), retry=None) as client:
        with pytest.raises(InvalidResponse, match="more than 256 bits"):
            await EthRpc(client).block_number()


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ({"oldestBlock": "0x1", "gasUsedRatio": [0.5]}, "baseFeePerGas: missing"),
        ({"oldestBlock": "0x1", "baseFeePerGas": ["0x1"], "gasUsedRatio": ["x"]}, "gasUsedRatio"),
    ],
)
async def test_a_fee_history_without_its_fields_names_them(
    history: dict[str, Any], message: str
) -> None:
    async with JsonRpcClient(node(history), retry=None) as client:
        with pytest.raises(InvalidResponse, match=message) as info:
            await EthRpc(client).fee_history(1)
    assert info.value.method == "eth_feeHistory"
