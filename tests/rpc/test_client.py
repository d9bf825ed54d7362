"""The client against a real node (anvil), under asyncio and trio."""

from __future__ import annotations

import anyio
import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from anyio_workflow.devnet import Anvil
from anyio_workflow.errors import (
    ExecutionReverted,
    InvalidParams,
    MethodNotFound,
    RpcError,
)
from anyio_workflow.evm.abi import register_errors
from anyio_workflow.rpc import EthRpc, HttpTransport, JsonRpcClient

from .helpers import (
    ADDRESS,
    Recording,
    Shuffling,
    error_string,
    panic,
    reverting_init_code,
    transfer_tx,
)


async def test_eth_helpers_decode_quantities(anvil: Anvil) -> None:
    async with JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        assert await eth.chain_id() == 31337
        assert await eth.block_number() == 0
        assert await eth.get_balance(ADDRESS) == 10_000 * 10**18
        assert await eth.get_transaction_count(ADDRESS) == 0
        assert await eth.gas_price() > 0
        assert await eth.max_priority_fee_per_gas() >= 0
        assert await eth.estimate_gas({"from": ADDRESS, "to": ADDRESS, "value": "0x1"}) == 21_000
        block = await eth.get_block(0)
        assert block is not None
        assert block["number"] == 0
        assert isinstance(block["baseFeePerGas"], int)
        history = await eth.fee_history(1, "latest", [10, 50])
        assert history.oldest_block == 0
        assert len(history.base_fee_per_gas) == 2
        assert len(history.reward) == 1
        assert len(history.reward[0]) == 2
        assert await eth.get_code(ADDRESS) == b""
        assert await eth.get_transaction_receipt("0x" + "00" * 32) is None


async def test_an_explicit_batch_is_one_request_matched_by_id(anvil: Anvil) -> None:
    recording = Recording(Shuffling(HttpTransport(anvil.url), seed=3))
    async with JsonRpcClient(recording, coalesce=False) as client:
        calls = [("eth_chainId", [])] + [("eth_getBalance", [ADDRESS, hex(0)])] * 3
        calls += [("eth_blockNumber", []), ("net_version", [])]
        results = await client.batch(calls)
    assert results == ["0x7a69", *[hex(10_000 * 10**18)] * 3, "0x0", "31337"]
    assert len(recording.payloads) == 1


async def test_batch_can_return_errors_in_place(anvil: Anvil) -> None:
    async with JsonRpcClient(anvil.url) as client:
        results = await client.batch(
            [("eth_chainId", []), ("eth_nope", []), ("eth_blockNumber", [])],
            return_exceptions=True,
        )
        assert results[0] == "0x7a69"
        assert isinstance(results[1], MethodNotFound)
        assert results[2] == "0x0"
        with pytest.raises(MethodNotFound):
            await client.batch([("eth_chainId", []), ("eth_nope", [])])


async def test_concurrent_calls_are_coalesced(anvil: Anvil) -> None:
    recording = Recording(HttpTransport(anvil.url))
    results: list[int] = []
    async with JsonRpcClient(recording, max_batch_size=25) as client:
        eth = EthRpc(client)

        async def one() -> None:
            results.append(await eth.get_balance(ADDRESS))

        async with anyio.create_task_group() as tg:
            for _ in range(100):
                tg.start_soon(one)
    assert results == [10_000 * 10**18] * 100
    sizes = [len(p) if isinstance(p, list) else 1 for p in recording.payloads]
    assert sum(sizes) == 100
    assert max(sizes) == 25
    assert len(recording.payloads) <= 6  # one lone call, then batches of at most 25


async def test_a_lone_call_is_not_coalesced(anvil: Anvil) -> None:
    recording = Recording(HttpTransport(anvil.url))
    async with JsonRpcClient(recording) as client:
        for _ in range(3):
            await client.request("eth_chainId")
    assert all(isinstance(p, dict) for p in recording.payloads)


async def test_node_errors_map_to_classes(anvil: Anvil) -> None:
    async with JsonRpcClient(anvil.url) as client:
        with pytest.raises(MethodNotFound) as missing:
            await client.request("eth_nope")
        assert missing.value.code == -32601
        assert missing.value.method == "eth_nope"
        with pytest.raises(InvalidParams):
            await client.request("eth_getBalance", ["0x12"])


@pytest.mark.parametrize(
    ("data", "reason", "panic_code"),
    [
        (error_string("not enough USDC"), "not enough USDC", None),
        (panic(0x11), "panic 0x11: arithmetic overflow or underflow", 0x11),
        (bytes.fromhex("deadbeef") + b"\0" * 32, None, None),
        (  # OpenZeppelin 5's ERC-20 error, known without any ABI
            keccak(text="ERC20InsufficientBalance(address,uint256,uint256)")[:4]
            + encode(["address", "uint256", "uint256"], ["0x" + "ab" * 20, 5, 7]),
            "ERC20InsufficientBalance(0x" + "ab" * 20 + ", 5, 7)",
            None,
        ),
    ],
)
async def test_reverts_are_decoded(
    anvil: Anvil, data: bytes, reason: str | None, panic_code: int | None
) -> None:
    async with JsonRpcClient(anvil.url) as client:
        with pytest.raises(ExecutionReverted) as info:
            await EthRpc(client).call({"data": reverting_init_code(data)})
    error = info.value
    assert error.reason == reason
    assert error.panic_code == panic_code
    assert error.data == "0x" + data.hex()
    assert error.selector == "0x" + data[:4].hex()
    assert not error.transient
    if reason is None:
        assert "custom error 0xdeadbeef" in str(error)


async def test_a_users_abi_names_its_custom_errors(anvil: Anvil) -> None:
    abi = [{"type": "error", "name": "OverLimit", "inputs": [
        {"name": "limit", "type": "uint256"}, {"name": "asked", "type": "uint256"}]}]  # fmt: skip
    (selector,) = register_errors(abi)
    data = bytes.fromhex(selector[2:]) + encode(["uint256", "uint256"], [10, 12])
    async with JsonRpcClient(anvil.url) as client:
        with pytest.raises(ExecutionReverted, match=r"OverLimit\(10, 12\)") as info:
            await EthRpc(client).call({"data": reverting_init_code(data)})
    assert info.value.error_name == "OverLimit" and info.value.error_args == (10, 12)


async def test_a_stopped_node_is_a_transient_transport_error() -> None:
    async with Anvil() as node:
        url = node.url
    async with JsonRpcClient(url, retry=None) as client:
        with pytest.raises(RpcError) as info:
            await client.request("eth_chainId")
    assert info.value.transient
    assert info.value.endpoint == url


async def test_the_client_must_be_opened(anvil: Anvil) -> None:
    client = JsonRpcClient(anvil.url)
    with pytest.raises(RuntimeError, match="use `async with JsonRpcClient"):
        await client.request("eth_chainId")
    await client.transport.aclose()


async def test_send_raw_transaction_twice_is_success_both_times(anvil: Anvil) -> None:
    sender, receiver = anvil.accounts[:2]
    tx = transfer_tx(31337, receiver.address, 0)
    raw = sender.sign_transaction(tx).raw_transaction
    async with JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        first = await eth.send_raw_transaction(raw)
        await eth.wait_for_receipt(first)
        again = await eth.send_raw_transaction(raw)  # mined already: "nonce too low"
    assert first == again == "0x" + sender.sign_transaction(tx).hash.hex()


async def test_already_known_counts_as_success() -> None:
    async with Anvil(extra_args=("--no-mining",)) as node:
        sender, receiver = node.accounts[:2]
        raw = sender.sign_transaction(transfer_tx(31337, receiver.address, 0)).raw_transaction
        async with JsonRpcClient(node.url) as client:
            eth = EthRpc(client)
            assert await eth.send_raw_transaction(raw) == await eth.send_raw_transaction(raw)
