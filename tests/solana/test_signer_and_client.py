"""SolanaSigner (keys from base58, bytes and the CLI's keypair file; never shown) and the
typed Solana client against the embedded devnet (issue 17, its first part)."""

from __future__ import annotations

import json
import pickle
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from solders.account import Account
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.token.state import Mint, TokenAccount, TokenAccountState

from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.errors import InvalidArgument, InvalidType
from anyio_workflow.solana import SolanaRpc, SolanaSigner

SOL = 10**9
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")


def test_a_signer_from_each_form_is_the_same_key_and_never_shows_it(tmp_path: Path) -> None:
    keypair = Keypair()
    secret = str(keypair)
    file = tmp_path / "id.json"
    file.write_text(json.dumps(list(bytes(keypair))))
    forms = [SolanaSigner(secret), SolanaSigner(bytes(keypair)), SolanaSigner.from_file(file)]
    assert {s.address for s in forms} == {str(keypair.pubkey())}
    message = b"pay 5 lamports"
    assert forms[0].sign_message(message) == bytes(keypair.sign_message(message))
    for signer in forms:
        assert secret not in repr(signer) and secret not in str(signer)
        with pytest.raises(InvalidType):
            pickle.dumps(signer)
    for bad in ("not-base58!", secret[:-4], b"\x01" * 63):
        with pytest.raises(InvalidArgument, match="not a Solana secret key") as caught:
            SolanaSigner(bad)
        assert secret not in str(caught.value)
    file.write_text("[1, 2, 3]")
    with pytest.raises(InvalidArgument, match="JSON array of 64 bytes"):
        SolanaSigner.from_file(file)


@pytest.fixture
async def rpc() -> AsyncIterator[tuple[SolanaDevnet, SolanaRpc]]:
    devnet = SolanaDevnet()
    async with devnet.client() as client:
        yield devnet, SolanaRpc(client)


async def test_simulation_fee_and_send_of_a_signed_transfer(
    rpc: tuple[SolanaDevnet, SolanaRpc],
) -> None:
    devnet, solana = rpc
    payer = SolanaSigner(bytes(devnet.funded[0]))
    to = Keypair().pubkey()
    blockhash = (await solana.get_latest_blockhash()).blockhash
    ix = transfer(TransferParams(from_pubkey=payer.pubkey, to_pubkey=to, lamports=SOL))
    tx = payer.sign_instructions([ix], blockhash)
    simulated = await solana.simulate_transaction(bytes(tx))
    assert simulated.err is None and simulated.units_consumed and simulated.units_consumed > 0
    assert any("success" in line for line in simulated.logs)
    assert await solana.get_balance(str(to)) == 0  # simulated: nothing moved
    assert await solana.get_fee_for_message(to_bytes_versioned(tx.message)) == 5_000
    assert all(fee == 0 for fee in await solana.get_recent_prioritization_fees([str(to)]))
    signature = await solana.send_transaction(bytes(tx))
    assert signature == str(tx.signatures[0])
    (status,) = await solana.get_signature_statuses([signature])
    assert status is not None and status.err is None
    assert await solana.get_balance(str(to)) == SOL
    too_small = transfer(TransferParams(from_pubkey=payer.pubkey, to_pubkey=Keypair().pubkey(),
                                        lamports=5))  # fmt: skip
    blockhash = (await solana.get_latest_blockhash()).blockhash
    failing = await solana.simulate_transaction(
        bytes(payer.sign_instructions([too_small], blockhash))
    )
    assert failing.err is not None  # below the rent-exempt minimum for a new account


async def test_accounts_rent_and_token_balances(rpc: tuple[SolanaDevnet, SolanaRpc]) -> None:
    devnet, solana = rpc
    payer = devnet.funded[0].pubkey()
    info = await solana.get_account_info(str(payer))
    assert info is not None and info.lamports == 100 * SOL and not info.executable
    assert await solana.get_account_info(str(Keypair().pubkey())) is None
    rent = await solana.get_minimum_balance_for_rent_exemption(165)
    assert rent > 0
    mint, account = Keypair().pubkey(), Keypair().pubkey()
    mint_data = bytes(Mint(mint_authority=payer, supply=10**9, decimals=6, is_initialized=True,
                           freeze_authority=None))  # fmt: skip
    token_data = bytes(TokenAccount(mint=mint, owner=payer, amount=1_234_567, delegate=None,
                                    state=TokenAccountState.Initialized, is_native=None,
                                    delegated_amount=0, close_authority=None))  # fmt: skip
    for address, data in ((mint, mint_data), (account, token_data)):
        devnet.svm.set_account(address, Account(lamports=rent, data=data, owner=TOKEN_PROGRAM,
                                                executable=False))  # fmt: skip
    balance = await solana.get_token_account_balance(str(account))
    assert (balance.amount, balance.decimals) == (1_234_567, 6)
