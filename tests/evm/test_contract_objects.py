"""Contract objects from a JSON ABI: calls, sends, events (decoded, found in receipts,
queried by topic and paged), custom errors by name; and the unit helpers (issue 18)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.errors import AbiError, ExecutionReverted, InvalidArgument
from anyio_workflow.evm import (
    Contract,
    LocalSigner,
    TxRequest,
    TxSender,
    from_units,
    from_wei,
    to_units,
    to_wei,
)
from anyio_workflow.evm.abi import ERC20_ABI, decode_log
from anyio_workflow.rpc import EthRpc

from ..nodes import Node


async def test_a_token_read_sent_and_queried_through_its_abi(node: Node, tmp_path: Path) -> None:
    owner = LocalSigner("0x" + node.accounts[0].key.hex())
    vendors = [a.address for a in node.accounts[1:4]]
    async with node.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, owner, node.chain_id, poll_interval=0.01)
        address = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        path = tmp_path / "TestToken.json"  # an artifact file, as a user has one
        path.write_text(json.dumps({"abi": artifact("TestToken").abi}))
        token = Contract(address, path, eth)
        assert (await token.functions.name().call(), await token.functions.decimals().call()) \
            == ("Test USDC", 6)  # fmt: skip
        minted = await sender.send(token.functions.mint(owner.address, 10**12))
        assert minted.status == 1
        receipts = [await sender.send(token.functions.transfer(v, (i + 1) * 10**6))
                    for i, v in enumerate(vendors)]  # fmt: skip
        assert await token.functions.balanceOf(vendors[1]).call() == 2 * 10**6
        (moved,) = token.events.Transfer.process_receipt(receipts[2])
        assert moved.args == {"from": owner.address, "to": vendors[2], "value": 3 * 10**6}
        every = await token.events.Transfer.get_logs(from_block=0, page=1)  # one block a query
        assert [e.args["to"] for e in every] == [owner.address, *vendors]  # the mint, then
        to_one = await token.events.Transfer.get_logs(filters={"to": vendors[0]})
        assert [e.args["value"] for e in to_one] == [10**6]
        either = await token.events.Transfer.get_logs(filters={"to": vendors[:2]})
        assert [e.args["to"] for e in either] == vendors[:2]
        # A custom error of the ABI, decoded by name, before anything is sent.
        too_much = token.functions.transfer(vendors[0], 10**13)
        with pytest.raises(ExecutionReverted, match="InsufficientBalance"):
            await too_much.call(sender=owner.address)
        assert isinstance(too_much, TxRequest) and too_much.to == address


OVERLOADED = [
    {"type": "function", "name": "f", "inputs": [{"name": "a", "type": "uint256"}],
     "outputs": [], "stateMutability": "nonpayable"},
    {"type": "function", "name": "f", "inputs": [{"name": "a", "type": "uint256"},
     {"name": "b", "type": "address"}], "outputs": [], "stateMutability": "nonpayable"},
    {"type": "function", "name": "g", "inputs": [{"name": "a", "type": "uint8"}],
     "outputs": [], "stateMutability": "nonpayable"},
    {"type": "function", "name": "g", "inputs": [{"name": "a", "type": "int8"}],
     "outputs": [], "stateMutability": "nonpayable"},
]  # fmt: skip
SOMEWHERE = "0x" + "11" * 20


def test_overloads_are_chosen_by_their_arguments_or_named_by_signature() -> None:
    c = Contract(SOMEWHERE, OVERLOADED)
    assert c.functions.f(1).function.signature == "f(uint256)"
    assert c.functions.f(1, SOMEWHERE).function.signature == "f(uint256,address)"
    assert c.functions["g(int8)"](-1).function.signature == "g(int8)"
    with pytest.raises(AbiError, match=r"1 arguments fit 2 of its overloads.*functions\['g"):
        c.functions.g(1)
    with pytest.raises(AbiError, match="nope: no such function"):
        c.functions.nope()
    with pytest.raises(InvalidArgument, match="abi: expected a list"):
        Contract(SOMEWHERE, {"not": "an artifact"})
    assert "f" in dir(c.functions) and "Transfer" in dir(Contract(SOMEWHERE, ERC20_ABI).events)


@given(
    frm=st.binary(min_size=20, max_size=20),
    to=st.binary(min_size=20, max_size=20),
    value=st.integers(0, 2**256 - 1),
)
def test_event_topic_filters_match_the_logs_they_select(frm: bytes, to: bytes, value: int) -> None:
    token = Contract(SOMEWHERE, ERC20_ABI)
    transfer = token.events.Transfer
    topics = transfer.topics({"from": "0x" + frm.hex(), "to": "0x" + to.hex()})
    log = {"address": SOMEWHERE, "topics": topics, "data": "0x" + value.to_bytes(32, "big").hex()}
    decoded = decode_log(log, ERC20_ABI)
    assert decoded.name == "Transfer" and decoded.args["value"] == value
    assert decoded.args["from"].lower() == "0x" + frm.hex()
    assert decoded.args["to"].lower() == "0x" + to.hex()
    assert transfer.topics({"to": "0x" + to.hex()})[1] is None  # any sender
    with pytest.raises(InvalidArgument, match="value"):
        transfer.topics({"value": 1})  # not indexed: not a topic


@given(wei=st.integers(0, 2**256 - 1), unit=st.sampled_from(["wei", "gwei", "ether"]))
def test_wei_round_trips_through_every_unit_exactly(wei: int, unit: str) -> None:
    assert to_wei(from_wei(wei, unit), unit) == wei


def test_units_refuse_floats_and_amounts_finer_than_the_unit() -> None:
    assert to_wei("1.5") == 1_500_000_000_000_000_000 and to_wei(3, "gwei") == 3 * 10**9
    assert to_units(Decimal("12.5"), 6) == 12_500_000 and from_units(12_500_000, 6) == Decimal(
        "12.5"
    )
    with pytest.raises(InvalidArgument, match="not a float"):
        to_wei(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="more than 6 decimal places"):
        to_units("0.0000001", 6)
    with pytest.raises(InvalidArgument, match="unit: 'eth'"):
        to_wei(1, "eth")
    with pytest.raises(InvalidArgument, match="at least 0"):
        to_wei(-1)
