"""Safe 1.4.1 from its npm artifacts, on the devnet and on anvil: the SafeTx digest equals
the deployed Safe's own getTransactionHash, and the signatures it yields pass
execTransaction (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sniffio
from hypothesis import given, settings
from hypothesis import strategies as st

from anyio_workflow.compliance import (
    Safe,
    SafeTx,
    deploy_safe,
    pack_signatures,
    recover,
    safe_artifact,
)
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.errors import ExecutionReverted, InvalidArgument
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender
from anyio_workflow.rpc import EthRpc

from ..budget import examples
from ..nodes import Node

NPM = Path(__file__).parents[2] / "node_modules/@safe-global/safe-contracts"
NAMES = ["Safe", "SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSend"]


@pytest.mark.parametrize("name", NAMES)
def test_the_kept_artifacts_equal_the_pinned_npm_files(name: str) -> None:
    kept = safe_artifact(name)
    pinned = json.loads((NPM / kept.path).read_text())
    assert json.loads((NPM / "package.json").read_text())["version"] == "1.4.1"
    assert kept.package == "@safe-global/safe-contracts@1.4.1"
    assert (kept.abi, kept.bytecode, kept.deployed_bytecode) == (
        pinned["abi"], pinned["bytecode"], pinned["deployedBytecode"],
    )  # fmt: skip


def signers(node: Node, n: int) -> list[LocalSigner]:
    return [LocalSigner("0x" + a.key.hex()) for a in node.accounts[1 : 1 + n]]


async def test_a_safe_deployed_from_npm_bytecode_moves_money_with_its_owners_signatures(
    node: Node,
) -> None:
    owners = signers(node, 3)
    async with node.client() as client:
        eth = EthRpc(client)
        payer = LocalSigner("0x" + node.accounts[0].key.hex())
        sender = TxSender(eth, payer, node.chain_id, poll_interval=0.01)
        deployed = await deploy_safe(sender, [o.address for o in owners], 2)
        safe = Safe(deployed.safe, eth)
        assert sorted(await safe.owners()) == sorted(o.address for o in owners)
        assert await safe.threshold() == 2 and await safe.nonce() == 0
        await sender.send(TxRequest(to=safe.address, value=10**18))  # fund it
        to = "0x" + "ab" * 20
        tx = SafeTx(safe=safe.address, chain_id=node.chain_id, to=to, value=12345, nonce=0)
        assert await safe.transaction_hash(tx) == tx.digest()
        signed = {o.address: tx.sign(o) for o in owners[:2]}
        assert all(recover(tx.digest(), s) == a for a, s in signed.items())
        one = pack_signatures({owners[0].address: signed[owners[0].address]})
        with pytest.raises(ExecutionReverted, match="GS020"):  # one of two: not enough
            await safe.check_signatures(tx, one)
        both = pack_signatures(signed)
        await safe.check_signatures(tx, both)
        receipt = await sender.send(TxRequest(to=safe.address, data=tx.exec_calldata(both)))
        assert receipt.status == 1
        assert await eth.get_balance(to) == 12345 and await safe.nonce() == 1
        with pytest.raises(ExecutionReverted):  # the same signatures: a spent nonce
            await sender.send(TxRequest(to=safe.address, data=tx.exec_calldata(both)))


transactions = st.builds(
    dict,
    to=st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    value=st.integers(0, 2**256 - 1),
    data=st.binary(max_size=200),
    operation=st.sampled_from([0, 1]),
    safe_tx_gas=st.integers(0, 2**64),
    base_gas=st.integers(0, 2**64),
    gas_price=st.integers(0, 2**64),
    gas_token=st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    refund_receiver=st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    nonce=st.integers(0, 2**256 - 1),
)


DEPLOYED: dict[str, tuple[EvmDevnet, str]] = {}
"""One Safe on one devnet per backend for every example (a deployment costs ~0.5 s)."""


@settings(max_examples=examples(20, ci=100), deadline=None)
@given(fields=transactions)
async def test_the_digest_is_the_deployed_safes_own_for_any_transaction(
    fields: dict[str, object],
) -> None:
    backend = sniffio.current_async_library()
    devnet = DEPLOYED[backend][0] if backend in DEPLOYED else EvmDevnet()
    async with devnet.client() as client:
        eth = EthRpc(client)
        if backend not in DEPLOYED:
            payer = LocalSigner("0x" + devnet.accounts[0].key.hex())
            sender = TxSender(eth, payer, devnet.chain_id, poll_interval=0.01)
            owners = [devnet.accounts[i].address for i in (1, 2, 3)]
            DEPLOYED[backend] = devnet, (await deploy_safe(sender, owners, 2)).safe
        safe = Safe(DEPLOYED[backend][1], eth)
        tx = SafeTx(safe=safe.address, chain_id=devnet.chain_id, **fields)  # type: ignore[arg-type]
        assert await safe.transaction_hash(tx) == tx.digest()


def test_a_signature_that_is_not_an_owner_signature_is_refused() -> None:
    tx = SafeTx(safe="0x" + "11" * 20, chain_id=1, to="0x" + "22" * 20, nonce=0)
    signer = LocalSigner("0x" + "33" * 32)
    good = tx.sign(signer)
    with pytest.raises(InvalidArgument, match="v is 0"):
        recover(tx.digest(), good[:64] + b"\x00")
    with pytest.raises(InvalidArgument, match="64 bytes, not 65"):
        recover(tx.digest(), good[:64])
    high_s = (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - int.from_bytes(
        good[32:64], "big")).to_bytes(32, "big")  # fmt: skip
    with pytest.raises(InvalidArgument, match="upper half"):
        recover(tx.digest(), good[:32] + high_s + bytes([55 - good[64]]))  # 27 <-> 28
    with pytest.raises(ValueError, match="not 0x-hex"):
        SafeTx(safe="0x" + "11" * 20, chain_id=1, to="0x" + "22" * 20, nonce=0, data="0xzz")
