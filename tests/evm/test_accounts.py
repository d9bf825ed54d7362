from __future__ import annotations

import json
import pickle

import coincurve
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, SecretStr, ValidationError

from anyio_workflow.devnet import ANVIL_MNEMONIC
from anyio_workflow.evm import Address, InvalidAddress, LocalSigner, Signer, to_checksum
from anyio_workflow.evm.encoding import fast_sign, rlp_encode

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's first
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@given(body=st.binary(min_size=20, max_size=20))
def test_checksums_round_trip_and_case_flips_are_caught(body: bytes) -> None:
    lower = "0x" + body.hex()
    checksummed = to_checksum(lower)
    assert to_checksum(checksummed) == checksummed
    assert to_checksum(lower.upper().replace("0X", "0x")) == checksummed
    letters = [i for i, c in enumerate(checksummed) if i > 1 and c.isalpha()]
    if len(letters) >= 2:  # one flipped letter makes a mixed-case address with a bad checksum
        i = letters[0]
        flipped = checksummed[:i] + checksummed[i].swapcase() + checksummed[i + 1 :]
        if flipped.lower() != flipped and flipped.upper()[2:] != flipped[2:]:
            with pytest.raises(InvalidAddress, match="wrong EIP-55 checksum"):
                to_checksum(flipped)


def test_bad_addresses_are_errors_in_models_too() -> None:
    class Payout(BaseModel):
        to: Address

    assert Payout(to=ADDRESS.lower()).to == ADDRESS
    with pytest.raises(ValidationError, match="to"):
        Payout(to="0x1234")
    with pytest.raises(InvalidAddress):
        to_checksum("0x" + ADDRESS[2].swapcase() + ADDRESS[3:])


def test_local_signer_never_shows_its_key() -> None:
    signer = LocalSigner(SecretStr(KEY))
    assert isinstance(signer, Signer)
    assert signer.address == ADDRESS
    for text in (repr(signer), str(signer), f"{signer}"):
        assert KEY[2:] not in text
        assert KEY[2:].upper() not in text.upper()
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)
    with pytest.raises(ValueError, match="not a valid secp256k1 private key") as info:
        LocalSigner("0x1234")
    assert "1234" not in str(info.value)


def test_keystore_and_mnemonic(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "key.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "hunter2", iterations=2)))
    assert LocalSigner.from_keystore(path, SecretStr("hunter2")).address == ADDRESS
    with pytest.raises(ValueError, match="cannot decrypt") as info:
        LocalSigner.from_keystore(path, "wrong")
    assert "wrong" not in str(info.value)
    assert LocalSigner.from_mnemonic(ANVIL_MNEMONIC).address == ADDRESS
    second = LocalSigner.from_mnemonic(SecretStr(ANVIL_MNEMONIC), "m/44'/60'/0'/0/1")
    assert second.address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_signatures_recover_to_the_signer() -> None:
    signer = LocalSigner(KEY)
    signature = signer.sign_message("approve budget 7")
    assert (
        Account.recover_message(encode_defunct(text="approve budget 7"), signature=signature)
        == ADDRESS
    )
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "Approval": [{"name": "amount", "type": "uint256"}],
        },
        "primaryType": "Approval",
        "domain": {"name": "treasury", "chainId": 1},
        "message": {"amount": 750_000},
    }
    signature = signer.sign_typed_data(typed)
    assert (
        Account.recover_message(encode_typed_data(full_message=typed), signature=signature)
        == ADDRESS
    )
    signed = signer.sign_transaction(
        {
            "to": ADDRESS,
            "value": 1,
            "gas": 21_000,
            "nonce": 0,
            "chainId": 1,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "type": 2,
        }
    )
    assert Account.recover_transaction(signed.raw) == ADDRESS
    assert signed.hash.startswith("0x")
    assert len(signed.hash) == 66


uint = st.integers(min_value=0, max_value=2**256 - 1)
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""Every private key from 1 to n - 1 is valid: the property draws from all of them."""
small = st.integers(min_value=0, max_value=2**64 - 1)
addresses = st.one_of(
    st.none(), st.binary(min_size=20, max_size=20).map(lambda b: to_checksum("0x" + b.hex()))
)
payloads = st.binary(max_size=200).map(lambda b: "0x" + b.hex())


@given(
    key=st.integers(1, SECP256K1_ORDER - 1).map(lambda k: k.to_bytes(32, "big")),
    chain_id=st.integers(min_value=1, max_value=2**32),
    nonce=small,
    gas=small,
    to=addresses,
    value=uint,
    data=payloads,
    fees=st.one_of(
        st.tuples(uint, uint).map(
            lambda f: {"maxFeePerGas": f[0], "maxPriorityFeePerGas": f[1], "type": 2}
        ),
        uint.map(lambda p: {"gasPrice": p}),
    ),
)
def test_fast_signing_matches_eth_account_byte_for_byte(
    key: bytes, chain_id: int, nonce: int, gas: int, to: str | None, value: int,
    data: str, fees: dict[str, int],
) -> None:  # fmt: skip
    tx = {"chainId": chain_id, "nonce": nonce, "gas": gas, "value": value, **fees}
    if data != "0x":
        tx["data"] = data
    if to is not None:
        tx["to"] = to
    ours = LocalSigner("0x" + key.hex()).sign_transaction(tx)
    theirs = Account.from_key(key).sign_transaction(dict(tx))
    assert ours.raw == bytes(theirs.raw_transaction)
    assert ours.hash == "0x" + bytes(theirs.hash).hex()


def test_other_shapes_go_through_eth_account() -> None:
    signer = LocalSigner("0x" + "11" * 32)
    tx = {
        "chainId": 1, "nonce": 0, "gas": 30000, "value": 1, "data": "0x", "type": 1,
        "gasPrice": 10, "to": to_checksum("0x" + "22" * 20),
        "accessList": [{"address": to_checksum("0x" + "33" * 20), "storageKeys": []}],
    }  # fmt: skip
    assert fast_sign(coincurve.PrivateKey(b"\x11" * 32), tx) is None
    signed = signer.sign_transaction(tx)
    assert signed.raw == bytes(Account.from_key(b"\x11" * 32).sign_transaction(tx).raw_transaction)
    assert signed.raw[0] == 1


@given(st.recursive(st.binary(max_size=80) | st.integers(0, 2**256), st.lists, max_leaves=12))
def test_rlp_round_trips_through_the_reference_decoder(item: object) -> None:
    import rlp

    def canonical(x: object) -> object:
        if isinstance(x, int):
            return x.to_bytes((x.bit_length() + 7) // 8, "big")
        return [canonical(y) for y in x] if isinstance(x, list) else x

    assert rlp.decode(rlp_encode(item)) == canonical(item)  # type: ignore[arg-type]
