"""The transaction lifecycle: send, simulate, force, and replace a stuck transaction."""

from __future__ import annotations

import anyio
import pytest

from anyio_workflow.contracts import artifact
from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.errors import ExecutionReverted
from anyio_workflow.evm import LocalSigner
from anyio_workflow.evm.abi import function
from anyio_workflow.evm.gas import CustomFees
from anyio_workflow.evm.tx import FeeCapExceeded, TransactionError, TxRequest, TxSender
from anyio_workflow.rpc import EthRpc, FaultInjectingTransport, HttpTransport, JsonRpcClient

from ..nodes import Node, deploy

GWEI = 10**9


def signer_of(node: Node, index: int = 0) -> LocalSigner:
    return LocalSigner("0x" + node.accounts[index].key.hex())


async def test_a_transfer_is_sent_and_reported(node: Node) -> None:
    signer = signer_of(node)
    bob = node.accounts[1].address
    async with node.client() as client:
        eth = EthRpc(client)
        before = await eth.get_balance(bob)
        sender = TxSender(eth, signer, node.chain_id, poll_interval=0.02)
        receipt = await sender.send(TxRequest(to=bob, value=12345))
        assert receipt.status == 1
        assert receipt.nonce == 0
        assert receipt.gas_used == 21_000
        assert receipt.fee_paid == 21_000 * receipt.effective_gas_price
        assert receipt.replaced == ()
        assert sender.journal == [receipt.hash]
        assert await eth.get_balance(bob) == before + 12345


async def test_simulation_stops_a_reverting_call(node: Node) -> None:
    signer = signer_of(node)
    async with node.client() as client:
        eth = EthRpc(client)
        reverter = await deploy(node, eth, "Reverter")
        count = await eth.get_transaction_count(signer.address)
        sender = TxSender(eth, signer, node.chain_id, poll_interval=0.02)
        data = "0x" + function("withReason", artifact("Reverter").abi).encode().hex()
        with pytest.raises(ExecutionReverted) as info:
            await sender.send(TxRequest(to=reverter, data=data))
        assert info.value.reason == "vault is locked"
        assert sender.journal == []
        assert await eth.get_transaction_count(signer.address) == count
        with pytest.raises(TransactionError) as forced:
            await sender.send(TxRequest(to=reverter, data=data, gas=100_000), force=True)
        assert forced.value.receipt is not None
        assert forced.value.receipt.status == 0
        assert forced.value.hashes == sender.journal
        assert forced.value.hashes[0] in str(forced.value)


async def test_a_stuck_transaction_is_replaced_and_the_replacement_reported() -> None:
    async with Anvil(extra_args=("--no-mining",)) as anvil, JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        signer = LocalSigner("0x" + anvil.accounts[0].key.hex())
        bob = anvil.accounts[1].address
        sender = TxSender(
            eth, signer, anvil.chain_id, strategy="custom", poll_interval=0.02,
            custom_fees=CustomFees(2 * GWEI, 1 * GWEI), stuck_after_blocks=2,
        )  # fmt: skip

        async def blocks_that_price_it_out() -> None:
            while not sender.journal:  # noqa: ASYNC110  (let the transaction in first)
                await anyio.sleep(0.01)
            while True:  # base fee 2.1 gwei: the 2 gwei transaction cannot get in
                await client.request("anvil_setNextBlockBaseFeePerGas", [hex(21 * GWEI // 10)])
                await client.request("evm_mine", [])
                await anyio.sleep(0.05)

        async with anyio.create_task_group() as tg:
            tg.start_soon(blocks_that_price_it_out)
            with anyio.fail_after(30):
                receipt = await sender.send(TxRequest(to=bob, value=1, gas=21_000))
            tg.cancel_scope.cancel()
        assert receipt.status == 1
        assert len(receipt.replaced) == 1
        assert sender.journal == [*receipt.replaced, receipt.hash]
        mined = await eth.get_transaction(receipt.hash)
        assert mined is not None
        assert mined["maxFeePerGas"] == 2 * GWEI * 9 // 8 + 1
        # Nodes refuse a replacement that does not raise both fees by at least 10 %.
        assert mined["maxFeePerGas"] * 100 >= 110 * 2 * GWEI
        assert mined["maxPriorityFeePerGas"] * 100 >= 110 * 1 * GWEI
        assert mined["nonce"] == receipt.nonce == 0
        assert await eth.get_transaction_receipt(receipt.replaced[0]) is None


def stuck_after_a_moment(eth: EthRpc, signer: LocalSigner, chain_id: int) -> TxSender:
    """A sender with fixed 2/1 gwei fees that replaces its transaction after 0.3 s."""
    return TxSender(
        eth, signer, chain_id, strategy="custom", poll_interval=0.02,
        custom_fees=CustomFees(2 * GWEI, 1 * GWEI), stuck_after_seconds=0.3,
    )  # fmt: skip


async def mine_after_the_replacement(client: JsonRpcClient, sender: TxSender) -> None:
    """Mine one block once the sender has sent a replacement (on a --no-mining anvil)."""
    while len(sender.journal) < 2:  # noqa: ASYNC110
        await anyio.sleep(0.01)
    await client.request("evm_mine", [])


async def test_without_blocks_a_transaction_is_stuck_after_seconds() -> None:
    # A chain that mines on demand has no blocks to count: the time limit decides.
    async with Anvil(extra_args=("--no-mining",)) as anvil, JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        signer = LocalSigner("0x" + anvil.accounts[0].key.hex())
        sender = stuck_after_a_moment(eth, signer, anvil.chain_id)
        started = anyio.current_time()
        async with anyio.create_task_group() as tg:
            tg.start_soon(mine_after_the_replacement, client, sender)
            with anyio.fail_after(10):
                receipt = await sender.send(TxRequest(to=anvil.accounts[1].address, value=1))
        assert anyio.current_time() - started >= 0.3
        assert receipt.replaced == (sender.journal[0],)
        assert receipt.hash == sender.journal[1]
        assert await eth.block_number() == 1  # no block was mined before the replacement


async def test_the_original_mined_after_its_replacement_was_sent_is_the_one_reported() -> None:
    async with Anvil(extra_args=("--no-mining",)) as anvil:
        # The replacement never reaches the node (its broadcast is dropped on the way),
        # so the original is what gets mined, after the replacement was signed and sent.
        faults = FaultInjectingTransport(
            HttpTransport(anvil.url), on={"eth_sendRawTransaction": [None, "drop"]}
        )
        async with JsonRpcClient(faults, retry=None, coalesce=False) as client:
            eth = EthRpc(client)
            signer = LocalSigner("0x" + anvil.accounts[0].key.hex())
            bob = anvil.accounts[1].address
            before = await eth.get_balance(bob)
            sender = stuck_after_a_moment(eth, signer, anvil.chain_id)
            async with anyio.create_task_group() as tg:
                tg.start_soon(mine_after_the_replacement, client, sender)
                with anyio.fail_after(10):
                    receipt = await sender.send(TxRequest(to=bob, value=1))
            broadcasts = [f for m, f in faults.log if m == "eth_sendRawTransaction"]
            assert broadcasts == [None, "drop"]
            original, replacement = sender.journal
            assert receipt.hash == original and receipt.replaced == (replacement,)
            assert await eth.get_transaction_count(signer.address) == 1
            assert await eth.get_balance(bob) - before == 1  # paid once


async def test_nonce_too_low_resyncs_and_sends_on_the_next_nonce() -> None:
    async with Anvil() as anvil, JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        signer = LocalSigner("0x" + anvil.accounts[0].key.hex())
        bob = anvil.accounts[1].address
        sender = TxSender(eth, signer, anvil.chain_id, poll_interval=0.02)
        async with sender.nonces.reserve(eth) as held:  # the manager counts from 0 ...
            assert held.value == 0
        # ... and another program spends nonce 0 behind its back.
        other = anvil.accounts[0].sign_transaction(
            {"to": bob, "value": 7, "gas": 21_000, "nonce": 0, "chainId": anvil.chain_id,
             "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "type": 2}
        )  # fmt: skip
        await eth.wait_for_receipt(await eth.send_raw_transaction(other.raw_transaction))
        receipt = await sender.send(TxRequest(to=bob, value=1))
        assert receipt.nonce == 1
        assert sender.nonces.resyncs == 1
        assert sender.journal == [receipt.hash]  # the refused one was never sent
        assert await eth.get_transaction_count(signer.address) == 2


async def test_a_fee_cap_is_never_exceeded_by_replacements() -> None:
    async with Anvil(extra_args=("--no-mining",)) as anvil, JsonRpcClient(anvil.url) as client:
        eth = EthRpc(client)
        signer = LocalSigner("0x" + anvil.accounts[0].key.hex())
        sender = TxSender(
            eth, signer, anvil.chain_id, strategy="custom", poll_interval=0.02, fee_cap=2 * GWEI,
            custom_fees=CustomFees(2 * GWEI, 1 * GWEI), stuck_after_blocks=1, receipt_timeout=1,
        )  # fmt: skip

        async def blocks() -> None:
            while not sender.journal:  # noqa: ASYNC110  (let the transaction in first)
                await anyio.sleep(0.01)
            while True:
                await client.request("anvil_setNextBlockBaseFeePerGas", [hex(3 * GWEI)])
                await client.request("evm_mine", [])
                await anyio.sleep(0.05)

        async with anyio.create_task_group() as tg:
            tg.start_soon(blocks)
            with pytest.raises(TransactionError, match="no receipt") as info:
                await sender.send(TxRequest(to=anvil.accounts[1].address, value=1, gas=21_000))
            tg.cancel_scope.cancel()
        assert info.value.hashes == sender.journal
        assert len(sender.journal) == 1  # no replacement could stay under the cap


async def expensive_market(anvil: Anvil, client: JsonRpcClient) -> tuple[EthRpc, LocalSigner]:
    """A fresh node whose base fee is 50 gwei now and for the next block."""
    await client.request("anvil_setNextBlockBaseFeePerGas", [hex(50 * GWEI)])
    await client.request("evm_mine", [])
    await client.request("anvil_setNextBlockBaseFeePerGas", [hex(50 * GWEI)])
    return EthRpc(client), LocalSigner("0x" + anvil.accounts[0].key.hex())


async def test_eco_waits_for_the_base_fee_to_fall_then_sends() -> None:
    async with Anvil(extra_args=("--no-mining",)) as anvil, JsonRpcClient(anvil.url) as client:
        eth, signer = await expensive_market(anvil, client)
        sender = TxSender(
            eth, signer, anvil.chain_id, strategy="eco", eco_target=5 * GWEI, poll_interval=0.02
        )
        fell = anyio.Event()

        async def market() -> None:
            await anyio.sleep(0.3)  # the sender waits meanwhile: nothing in its journal
            assert sender.journal == []
            await client.request("anvil_setNextBlockBaseFeePerGas", [hex(2 * GWEI)])
            fell.set()
            while True:
                await client.request("evm_mine", [])
                await anyio.sleep(0.02)

        async with anyio.create_task_group() as tg:
            tg.start_soon(market)
            with anyio.fail_after(30):
                receipt = await sender.send(TxRequest(to=anvil.accounts[1].address, value=1))
            tg.cancel_scope.cancel()
        assert fell.is_set()
        assert receipt.effective_gas_price < 5 * GWEI


async def test_eco_past_its_wait_with_the_fee_over_the_cap_sends_nothing() -> None:
    async with Anvil(extra_args=("--no-mining",)) as anvil, JsonRpcClient(anvil.url) as client:
        eth, signer = await expensive_market(anvil, client)
        sender = TxSender(
            eth, signer, anvil.chain_id, strategy="eco", eco_target=5 * GWEI,
            eco_wait=0.2, fee_cap=10 * GWEI, poll_interval=0.02,
        )  # fmt: skip
        with pytest.raises(FeeCapExceeded, match="over the fee cap of 10000000000 wei"):
            await sender.send(TxRequest(to=anvil.accounts[1].address, value=1))
        assert sender.journal == []
        assert await eth.get_transaction_count(signer.address) == 0


async def test_transient_failures_while_waiting_never_send_twice() -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    # Once broadcast, the node fails the receipt polls for a while, as a flaky endpoint
    # does; the client's own retries give up (retry=None).
    faults = FaultInjectingTransport(
        devnet.transport(), on={"eth_getTransactionReceipt": ["http_503"] * 12}, seed=1
    )
    async with JsonRpcClient(faults, retry=None, coalesce=False) as client:
        sender = TxSender(EthRpc(client), signer, devnet.chain_id, poll_interval=0.01)
        receipt = await sender.send(TxRequest(to=devnet.accounts[1].address, value=5))
    assert receipt.status == 1
    assert sender.journal == [receipt.hash]  # one transaction, whatever the faults
    faulted = [method for method, fault in faults.log if fault == "http_503"]
    assert faulted == ["eth_getTransactionReceipt"] * 12
    methods = [method for method, _ in faults.log]
    assert methods.count("eth_sendRawTransaction") == 1
    assert methods.index("eth_sendRawTransaction") < methods.index("eth_getTransactionReceipt")
    async with devnet.client() as client:
        assert await EthRpc(client).get_transaction_count(signer.address) == 1


async def test_a_lost_answer_to_a_broadcast_sends_the_same_bytes_again() -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    # The node gets the broadcast; its answer is lost on the way back.
    faults = FaultInjectingTransport(
        devnet.transport(), on={"eth_sendRawTransaction": ["drop_after"]}
    )
    async with JsonRpcClient(faults, retry=None, coalesce=False) as client:
        sender = TxSender(EthRpc(client), signer, devnet.chain_id, poll_interval=0.01)
        receipt = await sender.send(TxRequest(to=devnet.accounts[1].address, value=5))
    broadcasts = [fault for method, fault in faults.log if method == "eth_sendRawTransaction"]
    assert broadcasts == ["drop_after", None]  # the same bytes, sent once more
    assert sender.journal == [receipt.hash]
    async with devnet.client() as client:
        assert await EthRpc(client).get_transaction_count(signer.address) == 1


async def test_an_uncertain_broadcast_is_reported_and_its_nonce_kept() -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    faults = FaultInjectingTransport(
        devnet.transport(), on={"eth_sendRawTransaction": ["drop"] * 3}
    )
    async with JsonRpcClient(faults, retry=None, coalesce=False) as client:
        eth = EthRpc(client)
        sender = TxSender(eth, signer, devnet.chain_id, poll_interval=0.01)
        with pytest.raises(TransactionError, match="is uncertain") as info:
            await sender.send(TxRequest(to=devnet.accounts[1].address, value=5))
        broadcasts = [f for method, f in faults.log if method == "eth_sendRawTransaction"]
        assert broadcasts == ["drop"] * 3  # each attempt of the same bytes was dropped
        assert info.value.hashes == sender.journal
        assert not info.value.transient  # a retry must not send it again
        async with sender.nonces.reserve(eth) as next_one:
            assert next_one.value == 1  # nonce 0 may be out there: it is not reused
