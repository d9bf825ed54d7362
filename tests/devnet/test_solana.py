"""The Solana devnet: airdrops and transfers signed with solders, through SolanaRpc."""

from __future__ import annotations

import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.errors import SimulationFailed
from anyio_workflow.solana import SolanaRpc

SOL = 10**9


def signed_transfer(sender: Keypair, to: Keypair, lamports: int, blockhash: str) -> bytes:
    instruction = transfer(
        TransferParams(from_pubkey=sender.pubkey(), to_pubkey=to.pubkey(), lamports=lamports)
    )
    message = MessageV0.try_compile(sender.pubkey(), [instruction], [], Hash.from_string(blockhash))
    return bytes(VersionedTransaction(message, [sender]))


async def test_airdrop_then_transfers_are_confirmed(solana_devnet: SolanaDevnet) -> None:
    alice, bob = Keypair(), Keypair()
    async with solana_devnet.client() as client:
        sol = SolanaRpc(client)
        airdrop = await client.request("requestAirdrop", [str(alice.pubkey()), 2 * SOL])
        assert await sol.get_balance(str(alice.pubkey())) == 2 * SOL
        signatures = []
        for lamports in (SOL // 2, SOL // 4):
            blockhash = await sol.get_latest_blockhash()
            raw = signed_transfer(alice, bob, lamports, blockhash.blockhash)
            signatures.append(await sol.send_transaction(raw))
        unknown = str(Signature.default())
        statuses = await sol.get_signature_statuses([airdrop, *signatures, unknown])
        assert all(s is not None and s.err is None for s in statuses[:3])
        assert all(s is not None and s.confirmation_status == "finalized" for s in statuses[:3])
        assert statuses[3] is None
        assert await sol.get_balance(str(bob.pubkey())) == SOL * 3 // 4
        fees = 2 * SOL - SOL * 3 // 4 - await sol.get_balance(str(alice.pubkey()))
        assert fees == 2 * 5_000  # one signature each, 5,000 lamports a signature
        slots = [s.slot for s in statuses[:3] if s is not None]
        assert slots == sorted(slots)
        assert len(set(slots)) == 3


async def test_failures_come_back_in_solanas_error_format(solana_devnet: SolanaDevnet) -> None:
    poor, rich = Keypair(), solana_devnet.funded[0]
    async with solana_devnet.client() as client:
        sol = SolanaRpc(client)
        blockhash = (await sol.get_latest_blockhash()).blockhash
        await sol.send_transaction(signed_transfer(rich, poor, SOL, blockhash))
        blockhash = (await sol.get_latest_blockhash()).blockhash
        overdraft = signed_transfer(poor, rich, 5 * SOL, blockhash)
        with pytest.raises(SimulationFailed) as info:
            await sol.send_transaction(overdraft)
        assert info.value.code == -32002
        assert isinstance(info.value.data, dict)
        assert "logs" in info.value.data
        assert not info.value.transient


async def test_account_info_and_rent(solana_devnet: SolanaDevnet) -> None:
    funded = str(solana_devnet.funded[0].pubkey())
    async with solana_devnet.client() as client:
        info = await client.request("getAccountInfo", [funded, {"encoding": "base64"}])
        assert info["value"]["lamports"] == 100 * SOL
        assert info["value"]["owner"] == "11111111111111111111111111111111"
        missing = await client.request("getAccountInfo", [str(Keypair().pubkey())])
        assert missing["value"] is None
        rent = await client.request("getMinimumBalanceForRentExemption", [0])
        assert rent > 0
        assert isinstance(await client.request("getSlot"), int)
