"""ABI encoding and decoding: known selectors, eth-abi round trips, ERC-20 and ERC-721 logs."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow.evm.abi import ERC20_ABI, ERC721_ABI, AbiError, decode_log, function

ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
BOB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def test_selectors_match_the_known_ones() -> None:
    assert function("transfer(address,uint256)").selector.hex() == "a9059cbb"
    assert function("transfer", ERC20_ABI).selector.hex() == "a9059cbb"
    assert function("balanceOf(address owner) view returns (uint256)").outputs == ("uint256",)
    assert function(
        "function approve(address spender, uint256 amount) external returns (bool)"
    ).inputs == (
        "address",
        "uint256",
    )


@given(amount=st.integers(0, 2**256 - 1), to=st.binary(min_size=20, max_size=20))
def test_calls_encode_as_the_abi_says(amount: int, to: bytes) -> None:
    address = "0x" + to.hex()
    data = function("transfer", ERC20_ABI).encode(address, amount)
    assert data == bytes.fromhex("a9059cbb") + encode(["address", "uint256"], [address, amount])


@given(value=st.integers(0, 2**256 - 1))
def test_outputs_round_trip(value: int) -> None:
    fn = function("balanceOf", ERC20_ABI)
    assert fn.decode_output(encode(["uint256"], [value])) == (value,)


def test_bad_arguments_are_clear_errors() -> None:
    transfer = function("transfer(address,uint256)")
    with pytest.raises(AbiError, match=r"expected 2 arguments, got 1"):
        transfer.encode(ALICE)
    with pytest.raises(AbiError, match=r"transfer\(address,uint256\)"):
        transfer.encode(ALICE, -1)
    with pytest.raises(AbiError, match="not a function signature"):
        function("transfer address")
    with pytest.raises(AbiError, match="no functions of that name"):
        function("mint", ERC20_ABI)
    with pytest.raises(AbiError, match="cannot decode"):
        function("balanceOf", ERC20_ABI).decode_output(b"\x01")


def test_erc20_and_erc721_transfers_decode_by_their_topics() -> None:
    erc20 = {
        "address": BOB.lower(),
        "topics": [TRANSFER, topic(ALICE), topic(BOB)],
        "data": "0x" + encode(["uint256"], [750_000]).hex(),
    }
    event = decode_log(erc20, ERC20_ABI + ERC721_ABI)
    assert (event.name, event.address) == ("Transfer", BOB)
    assert event.args == {"from": ALICE, "to": BOB, "value": 750_000}
    erc721 = {
        "address": ALICE,
        "topics": [TRANSFER, topic(ALICE), topic(BOB), "0x" + encode(["uint256"], [7]).hex()],
        "data": "0x",
    }
    assert decode_log(erc721, ERC20_ABI + ERC721_ABI).args["tokenId"] == 7
    with pytest.raises(AbiError, match="no event of the ABI"):
        decode_log({"address": ALICE, "topics": ["0x" + "00" * 32], "data": "0x"}, ERC20_ABI)
