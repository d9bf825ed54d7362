"""The same Solana client cases against the embedded devnet (LiteSVM) and against a real
``solana-test-validator`` when one is installed (Agave's release: not on npm or PyPI, so
it is found on PATH or through ``SOLANA_TEST_VALIDATOR``; skipped, with that reason,
otherwise). Differences that remain are listed in docs/devnet.md; each case here holds
on both. Every case pays from a key of its own, funded with ``requestAirdrop``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from solders.transaction import VersionedTransaction

from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.devnet.anvil import free_port
from anyio_workflow.errors import SimulationFailed
from anyio_workflow.rpc import JsonRpcClient
from anyio_workflow.solana import SolanaRpc, SolanaSigner
from anyio_workflow.solana.spl import (
    TOKEN_PROGRAM,
    associated_token_address,
    create_associated_token_account,
    transfer_checked,
)
from anyio_workflow.solana.tx import SolanaSender

SOL = 10**9
SYSTEM_PROGRAM = "11111111111111111111111111111111"


@dataclass
class Cluster:
    kind: str
    client: Callable[[], JsonRpcClient]


def _validator() -> str | None:
    return os.environ.get("SOLANA_TEST_VALIDATOR") or shutil.which("solana-test-validator")


@pytest.fixture(params=["embedded", "solana-test-validator"])
async def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Cluster]:
    if request.param == "embedded":
        devnet = SolanaDevnet()
        yield Cluster("embedded", devnet.client)
        return
    binary = _validator()
    if binary is None:
        pytest.skip(
            "solana-test-validator is not installed (Agave's release, not on npm or PyPI): "
            "put it on PATH or set SOLANA_TEST_VALIDATOR to run these cases against it"
        )
    port = free_port()
    command = [
        binary, "--ledger", str(tmp_path / "ledger"), "--reset", "--quiet",
        "--bind-address", "127.0.0.1", "--rpc-port", str(port),
        "--faucet-port", str(free_port()), "--dynamic-port-range", "21000-21100",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    async with await anyio.open_process(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as process:
        try:
            await _wait_healthy(url)
            yield Cluster("solana-test-validator", lambda: JsonRpcClient(url))
        finally:
            with anyio.CancelScope(shield=True):
                process.terminate()
                with anyio.move_on_after(10):
                    await process.wait()
                if process.returncode is None:
                    process.kill()


async def _wait_healthy(url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "getHealth", "params": []}
    async with httpx.AsyncClient(timeout=1.0) as client:
        with anyio.fail_after(60):
            while True:
                try:
                    answer = await client.post(url, json=body)
                    if answer.json().get("result") == "ok":
                        return
                except (httpx.HTTPError, ValueError):
                    pass
                await anyio.sleep(0.2)


async def _landed(rpc: SolanaRpc, signature: str) -> None:
    with anyio.fail_after(30):
        while True:
            (status,) = await rpc.get_signature_statuses([signature])
            if status is not None and status.confirmation_status in ("confirmed", "finalized"):
                assert status.err is None, status.err
                return
            await anyio.sleep(0.05)


async def _funded(rpc: SolanaRpc, lamports: int = 10 * SOL) -> SolanaSigner:
    """A fresh key with ``lamports`` from the cluster's airdrop."""
    return SolanaSigner(bytes(await _funded_keypair(rpc, lamports)))


async def _funded_keypair(rpc: SolanaRpc, lamports: int = 10 * SOL) -> Keypair:
    keypair = Keypair()
    signature = await rpc.client.request("requestAirdrop", [str(keypair.pubkey()), lamports])
    await _landed(rpc, signature)
    return keypair


async def test_identity_and_health(cluster: Cluster) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        chain_id = await rpc.chain_id()
        assert chain_id.startswith("solana:") and len(chain_id) == len("solana:") + 32
        assert await rpc.chain_id() == chain_id
        assert await client.request("getHealth", []) == "ok"
        assert "solana-core" in await client.request("getVersion", [])


async def test_blockhash_and_heights(cluster: Cluster) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        latest = await rpc.get_latest_blockhash()
        Hash.from_string(latest.blockhash)  # a 32-byte base58 hash
        assert latest.last_valid_block_height > await rpc.get_block_height()
        fees = await rpc.get_recent_prioritization_fees()
        assert all(isinstance(fee, int) and fee >= 0 for fee in fees)


async def test_accounts_balances_and_rent(cluster: Cluster) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        nobody = str(Keypair().pubkey())
        assert await rpc.get_balance(nobody) == 0
        assert await rpc.get_account_info(nobody) is None
        payer = await _funded(rpc, 3 * SOL)
        assert await rpc.get_balance(payer.address) == 3 * SOL
        info = await rpc.get_account_info(payer.address)
        assert info is not None and info.lamports == 3 * SOL
        assert info.owner == SYSTEM_PROGRAM and not info.executable and info.data == b""
        empty = await rpc.get_minimum_balance_for_rent_exemption(0)
        assert 0 < empty < await rpc.get_minimum_balance_for_rent_exemption(165)


async def test_a_transfer_from_simulation_to_confirmation(cluster: Cluster) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        payer = await _funded(rpc)
        to = Keypair().pubkey()
        sender = SolanaSender(rpc, payer, await rpc.chain_id(), strategy=0, poll_interval=0.05)
        pay = transfer(TransferParams(from_pubkey=payer.pubkey, to_pubkey=to, lamports=SOL))
        blockhash = await rpc.get_latest_blockhash()
        message = payer.sign_instructions([pay], blockhash.blockhash).message
        fee = await rpc.get_fee_for_message(bytes(message))
        assert fee == 5_000  # one signature, no priority fee
        receipt = await sender.send([pay])
        assert receipt.status == 1 and receipt.slot > 0
        assert 150 <= receipt.compute_unit_limit < 2_000  # from the simulation, + margin
        (status,) = await rpc.get_signature_statuses([receipt.hash])
        assert status is not None and status.err is None
        assert status.confirmation_status in ("confirmed", "finalized")
        assert await rpc.get_balance(str(to)) == SOL
        # the payer paid the transfer and the base fee; compute-unit price 0: no priority fee
        assert await rpc.get_balance(payer.address) == 10 * SOL - SOL - 5_000


async def test_a_transfer_the_payer_cannot_afford_is_refused_and_changes_nothing(
    cluster: Cluster,
) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        payer = await _funded(rpc, SOL)
        to = Keypair().pubkey()
        too_much = transfer(TransferParams(from_pubkey=payer.pubkey, to_pubkey=to,
                                           lamports=2 * SOL))  # fmt: skip
        blockhash = (await rpc.get_latest_blockhash()).blockhash
        signed = bytes(payer.sign_instructions([too_much], blockhash))
        simulated = await rpc.simulate_transaction(signed)
        assert simulated.err is not None and simulated.logs
        with pytest.raises(SimulationFailed):
            await rpc.send_transaction(signed)  # preflight: the node simulates it first
        assert await rpc.get_balance(payer.address) == SOL
        assert await rpc.get_balance(str(to)) == 0


async def test_an_unknown_blockhash_is_refused(cluster: Cluster) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        payer = await _funded(rpc, SOL)
        pay = transfer(TransferParams(from_pubkey=payer.pubkey, to_pubkey=Keypair().pubkey(),
                                      lamports=1_000))  # fmt: skip
        stale = bytes(payer.sign_instructions([pay], str(Hash.new_unique())))
        simulated = await rpc.simulate_transaction(stale)
        assert simulated.err == "BlockhashNotFound"
        with pytest.raises(SimulationFailed):
            await rpc.send_transaction(stale)


def _mint_instructions(payer: Pubkey, mint: Pubkey, rent: int, decimals: int) -> list[Instruction]:
    """A mint account created and initialized (SPL Token's InitializeMint2), ``payer``
    its authority: written from the Token program's interface."""
    account = CreateAccountParams(from_pubkey=payer, to_pubkey=mint, lamports=rent, space=82,
                                  owner=TOKEN_PROGRAM)  # fmt: skip
    create = create_account(account)
    data = bytes([20, decimals]) + bytes(payer) + bytes([0])  # no freeze authority
    initialize = Instruction(TOKEN_PROGRAM, data, [AccountMeta(mint, False, True)])
    return [create, initialize]


def _mint_to(mint: Pubkey, account: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    accounts = [AccountMeta(mint, False, True), AccountMeta(account, False, True),
                AccountMeta(authority, True, False)]  # fmt: skip
    return Instruction(TOKEN_PROGRAM, bytes([7]) + amount.to_bytes(8, "little"), accounts)


async def test_an_spl_token_minted_then_paid_to_a_new_holder(cluster: Cluster) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        keypair = await _funded_keypair(rpc)
        payer = SolanaSigner(bytes(keypair))
        mint = Keypair()
        rent = await rpc.get_minimum_balance_for_rent_exemption(82)
        source = associated_token_address(payer.pubkey, mint.pubkey())
        setup = [
            *_mint_instructions(payer.pubkey, mint.pubkey(), rent, 6),
            create_associated_token_account(payer.pubkey, payer.pubkey, mint.pubkey()),
            _mint_to(mint.pubkey(), source, payer.pubkey, 1_000 * 10**6),
        ]
        blockhash = Hash.from_string((await rpc.get_latest_blockhash()).blockhash)
        message = MessageV0.try_compile(payer.pubkey, setup, [], blockhash)
        signed = VersionedTransaction(message, [keypair, mint])  # the mint signs its creation
        await _landed(rpc, await rpc.send_transaction(bytes(signed)))
        holder = Keypair().pubkey()
        destination = associated_token_address(holder, mint.pubkey())
        sender = SolanaSender(rpc, payer, await rpc.chain_id(), poll_interval=0.05)
        receipt = await sender.send([
            create_associated_token_account(payer.pubkey, holder, mint.pubkey()),
            transfer_checked(source, mint.pubkey(), destination, payer.pubkey, 2_500_000, 6),
        ])  # fmt: skip
        assert receipt.status == 1
        held = await rpc.get_token_account_balance(str(destination))
        assert (held.amount, held.decimals) == (2_500_000, 6)
        left = await rpc.get_token_account_balance(str(source))
        assert left.amount == 1_000 * 10**6 - 2_500_000


async def test_a_failing_transaction_sent_without_preflight_lands_and_pays_its_fee(
    cluster: Cluster,
) -> None:
    async with cluster.client() as client:
        rpc = SolanaRpc(client)
        payer = await _funded(rpc, SOL)
        too_much = transfer(TransferParams(from_pubkey=payer.pubkey, to_pubkey=Keypair().pubkey(),
                                           lamports=2 * SOL))  # fmt: skip
        blockhash = (await rpc.get_latest_blockhash()).blockhash
        signature = await rpc.send_transaction(
            bytes(payer.sign_instructions([too_much], blockhash)), skip_preflight=True
        )
        with anyio.fail_after(30):
            while True:  # polled: a node has no event to wait on
                (status,) = await rpc.get_signature_statuses([signature])
                if status is not None:
                    break
                await anyio.sleep(0.05)
        assert status.err is not None  # an instruction failed: it landed, as a failure
        assert await rpc.get_balance(payer.address) == SOL - 5_000
