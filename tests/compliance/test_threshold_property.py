"""For any owners, threshold and mix of approvals (valid ones, duplicates, strangers,
wrong nonces, altered bytes, signatures under another owner's name), the approvals count
exactly when the valid distinct owners reach the threshold, and the deployed Safe agrees
on chain (issue 16)."""

from __future__ import annotations

import itertools

import pytest
import sniffio
from hypothesis import given, settings
from hypothesis import strategies as st

from anyio_workflow.compliance import (
    Approval,
    Safe,
    SafeDeployment,
    SafeTx,
    approve,
    deploy_safe,
    tally,
)
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.errors import ExecutionReverted
from anyio_workflow.evm import LocalSigner, TxSender
from anyio_workflow.rpc import EthRpc

from ..budget import examples

KEYS = [LocalSigner("0x" + f"{i + 1:064x}") for i in range(6)]
STRANGER = LocalSigner("0x" + "77" * 32)
NOISE = ["duplicate", "stranger", "wrong_nonce", "altered", "swapped", "other_safe"]
SALTS = itertools.count(1)  # each example's Safe at an address of its own
SHARED: dict[str, tuple[EvmDevnet, SafeDeployment]] = {}
"""Per backend: a devnet with the Safe singleton, factory and handler deployed once."""


@settings(max_examples=examples(15, ci=100), deadline=None)
@given(
    owners=st.integers(1, 5),
    data=st.data(),
)
async def test_approvals_count_exactly_when_valid_owners_reach_the_threshold(
    owners: int, data: st.DataObject
) -> None:
    threshold = data.draw(st.integers(1, owners), label="threshold")
    signing = data.draw(st.sets(st.integers(0, owners - 1)), label="signing owners")
    noise = data.draw(st.lists(st.sampled_from(NOISE), max_size=4), label="noise")
    backend = sniffio.current_async_library()
    if backend not in SHARED:
        devnet = EvmDevnet()
        async with devnet.client() as client:
            payer = LocalSigner("0x" + devnet.accounts[0].key.hex())
            sender = TxSender(EthRpc(client), payer, devnet.chain_id, poll_interval=0.01)
            SHARED[backend] = devnet, await deploy_safe(sender, [KEYS[0].address], 1)
    devnet, base = SHARED[backend]
    async with devnet.client() as client:
        eth = EthRpc(client)
        payer = LocalSigner("0x" + devnet.accounts[0].key.hex())
        sender = TxSender(eth, payer, devnet.chain_id, poll_interval=0.01)
        keys = KEYS[:owners]
        deployed = await deploy_safe(
            sender, [k.address for k in keys], threshold, salt=next(SALTS),
            singleton=base.singleton, factory=base.factory,
            fallback_handler=base.fallback_handler,
        )  # fmt: skip
        safe = Safe(deployed.safe, eth)
        tx = SafeTx(safe=safe.address, chain_id=devnet.chain_id, to="0x" + "ab" * 20,
                    value=1, nonce=await safe.nonce())  # fmt: skip
        given_: list[Approval] = [approve(tx, keys[i]) for i in sorted(signing)]
        for kind in noise:
            victim = keys[data.draw(st.integers(0, owners - 1), label="victim")]
            if kind == "duplicate" and given_:
                given_.append(given_[0])
            elif kind == "stranger":
                given_.append(approve(tx, STRANGER))
            elif kind == "wrong_nonce":
                given_.append(approve(tx.model_copy(update={"nonce": tx.nonce + 1}), victim))
            elif kind == "other_safe":
                given_.append(approve(tx.model_copy(update={"safe": "0x" + "cd" * 20}), victim))
            elif kind == "altered":
                good = tx.sign(victim)
                bad = good[:10] + bytes([good[10] ^ 1]) + good[11:]
                given_.append(Approval(signer=victim.address, signature=bad, digest=tx.digest()))
            elif kind == "swapped":
                other = STRANGER if owners == 1 else keys[(keys.index(victim) + 1) % owners]
                given_.append(
                    Approval(signer=victim.address, signature=tx.sign(other), digest=tx.digest())
                )
        result = tally(tx, given_, [k.address for k in keys], threshold)
        assert set(result.valid) == {keys[i].address for i in signing}
        assert result.reached == (len(signing) >= threshold)
        assert len(result.rejected) == len(given_) - len(signing)
        if result.reached:
            await safe.check_signatures(tx, result.signatures())  # the Safe agrees
        elif result.valid:
            with pytest.raises(ExecutionReverted, match="GS020"):  # too few, says the Safe
                await safe.check_signatures(tx, result.signatures())
