"""NonceManager: unique nonces under concurrency, reuse after failures, resyncs."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, RunContext, Task
from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.errors import JsonRpcError
from anyio_workflow.evm import LocalSigner, NonceManager, TxRequest, TxSender, to_checksum
from anyio_workflow.evm.nonce import NonceManagers
from anyio_workflow.rpc import EthRpc, JsonRpcClient

from ..budget import examples

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


class Counter:
    """A node whose pending count is whatever the test says."""

    def __init__(self, count: int = 0) -> None:
        self.count = count
        self.asked = 0

    async def get_transaction_count(self, address: str, block: int | str = "pending") -> int:
        self.asked += 1
        await anyio.lowlevel.checkpoint()
        return self.count


async def test_concurrent_reservations_are_distinct_and_consecutive() -> None:
    node, manager = Counter(7), NonceManager(1, ADDRESS)
    taken: list[int] = []

    async def one() -> None:
        async with manager.reserve(node) as reservation:
            taken.append(reservation.value)
            await anyio.lowlevel.checkpoint()
            reservation.broadcast()

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(one)
    assert sorted(taken) == list(range(7, 57))
    assert node.asked == 1  # the node is asked once; the rest is local


async def test_a_nonce_failed_before_broadcast_is_reused_first() -> None:
    node, manager = Counter(0), NonceManager(1, ADDRESS)
    async with manager.reserve(node) as first:
        first.broadcast()

    async def fails_to_sign() -> None:
        async with manager.reserve(node) as second:
            assert second.value == 1
            raise RuntimeError("signing failed")

    with pytest.raises(RuntimeError):
        await fails_to_sign()
    async with manager.reserve(node) as third:
        assert third.value == 1  # the gap is filled, not left
        third.broadcast()
    async with manager.reserve(node) as fourth:
        assert fourth.value == 2


async def test_cancellation_before_broadcast_gives_the_nonce_back() -> None:
    node, manager = Counter(0), NonceManager(1, ADDRESS)
    with anyio.move_on_after(0.01):
        async with manager.reserve(node):
            await anyio.sleep_forever()
    async with manager.reserve(node) as again:
        assert again.value == 0


async def test_resync_follows_the_node_and_never_reissues_a_held_nonce() -> None:
    node, manager = Counter(0), NonceManager(1, ADDRESS)
    async with manager.reserve(node) as held:
        node.count = 10  # someone else sent ten transactions
        assert await manager.resync(node) == 10
        async with manager.reserve(node) as fresh:
            assert fresh.value == 10
            assert fresh.value != held.value
    # The stale reservation is below the node's count: it is not reused.
    async with manager.reserve(node) as next_one:
        assert next_one.value == 10
    node.count = 3  # the node lost transactions 3..9 (a gap): they are handed out again
    await manager.resync(node)
    async with manager.reserve(node) as refill:
        assert refill.value == 3


def test_one_manager_per_account_and_chain() -> None:
    managers = NonceManagers()
    assert managers.get(5, ADDRESS) is managers.get(5, ADDRESS.lower())
    assert managers.get(5, ADDRESS) is not managers.get(6, ADDRESS)
    assert NonceManagers().get(5, ADDRESS) is not managers.get(5, ADDRESS)  # no global state


ops = st.lists(st.sampled_from(["send", "send", "send", "fail", "resync", "outside"]), max_size=24)


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=ops)
async def test_any_interleaving_leaves_nonces_unique_and_the_chain_gap_free(
    plan: list[str],
) -> None:
    devnet = EvmDevnet()
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    manager = NonceManager(devnet.chain_id, signer.address)
    sent: list[tuple[int, str]] = []
    outside = 0
    errors: list[str] = []

    def raw(nonce: int, value: int = 1) -> bytes:
        tx = {
            "to": devnet.accounts[1].address, "value": value, "gas": 21_000, "nonce": nonce,
            "chainId": devnet.chain_id, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
            "type": 2,
        }  # fmt: skip
        return signer.sign_transaction(tx).raw

    async with devnet.client() as client:
        eth = EthRpc(client)

        async def step(op: str) -> None:
            nonlocal outside
            if op == "resync":
                await manager.resync(eth)
            elif op == "outside":  # another process sends from the same account
                outside += 1
                value = 1_000 + outside  # its own bytes, so its own hash
                while True:
                    nonce = await eth.get_transaction_count(signer.address)
                    try:
                        await eth.send_raw_transaction(raw(nonce, value))
                        break
                    except JsonRpcError as exc:  # it raced one of ours for that nonce
                        if "nonce too" not in exc.message:
                            raise
            else:
                # Only an outside send can take a nonce from under us, once each.
                for _ in range(plan.count("outside") + 1):
                    try:
                        async with manager.reserve(eth) as reservation:
                            if op == "fail":
                                return  # gave up before broadcasting
                            tx_hash = await eth.send_raw_transaction(raw(reservation.value))
                            reservation.broadcast()
                            sent.append((reservation.value, tx_hash))
                            return
                    except JsonRpcError as exc:
                        if "nonce too" not in exc.message:
                            raise
                        errors.append(exc.message)
                        await manager.resync(eth)
                raise AssertionError(f"more nonce errors than outside sends: {errors}")

        async with anyio.create_task_group() as tg:
            for op in plan:
                tg.start_soon(step, op)
        nonces = [n for n, _ in sent]
        assert len(nonces) == len(set(nonces)), (sent, manager)  # one transaction per nonce
        mined = await eth.get_transaction_count(signer.address, "latest")
        pending = await eth.get_transaction_count(signer.address, "pending")
        assert mined == pending == len(sent) + outside  # nothing stuck behind a gap
        for _, tx_hash in sent:
            receipt = await eth.get_transaction_receipt(tx_hash)
            assert receipt is not None
            assert receipt["status"] == 1


class Transfer(BaseAgent):
    """One ETH transfer, its nonce from the workflow's NonceManager of the account."""

    def __init__(self, signer: LocalSigner, to: str, value: int) -> None:
        super().__init__(f"to-{to[-4:]}")
        self.signer, self.to, self.value = signer, to, value

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        eth = ctx.eth()
        manager = ctx.nonces.get(ctx.chain_id, self.signer.address)
        async with manager.reserve(eth) as reservation:
            signed = self.signer.sign_transaction(
                {
                    "to": self.to,
                    "value": self.value,
                    "gas": 21_000,
                    "nonce": reservation.value,
                    "chainId": ctx.chain_id,
                    "maxFeePerGas": 10**11,
                    "maxPriorityFeePerGas": 10**9,
                    "type": 2,
                }
            )
            await eth.send_raw_transaction(signed.raw)
            reservation.broadcast()
        while True:
            # anvil in automine mode now and then keeps the transaction at the account's
            # next nonce "queued" and never mines it when transactions arrive out of nonce
            # order under load (foundry-rs/foundry#10122; reproduced here with two busy
            # cores: txpool_inspect shows the next nonce queued; re-sending the bytes,
            # dropping and re-sending that one, anvil_setNonce, evm_mine and mixed mining
            # do not get it out). Emptying its pool does: every agent then sends its own
            # bytes again, the same transactions on the same nonces.
            with anyio.move_on_after(5):
                receipt = await eth.wait_for_receipt(signed.hash)
                return {"nonce": reservation.value, "status": receipt["status"], "to": self.to}
            with contextlib.suppress(JsonRpcError):
                await ctx.rpc().request("anvil_dropAllTransactions", [])
                await eth.send_raw_transaction(signed.raw)


async def test_100_concurrent_transfers_from_one_account_on_anvil() -> None:
    async with Anvil(chain_id=31_337, accounts=3) as node:
        signer = LocalSigner("0x" + node.accounts[0].key.hex())
        receivers = [to_checksum("0x" + f"{i + 1:04x}" * 10) for i in range(100)]
        agents = [Transfer(signer, to, 10**15 + i) for i, to in enumerate(receivers)]
        async with JsonRpcClient(node.url) as client:
            eth = EthRpc(client)
            start = await eth.get_transaction_count(signer.address)
            before = await eth.get_balance(signer.address)
            workflow = AsyncWorkflow(
                agents, AsyncWorkflowConfig(max_workers=32, timeout=120), rpc={31_337: node.url}
            )
            result = await workflow.run("payout", 31_337)
            assert result.ok, result.error
            assert sorted(r["nonce"] for r in result) == list(range(start, start + 100))
            assert all(r["status"] == 1 for r in result)
            for i, to in enumerate(receivers):
                assert await eth.get_balance(to) == 10**15 + i
            assert await eth.get_transaction_count(signer.address, "latest") == start + 100
            assert await eth.get_balance(signer.address) < before - sum(
                10**15 + i for i in range(100)
            )


async def test_a_broadcast_nonce_is_never_handed_out_again() -> None:
    # Found by the property above: a transaction waiting in the node's pool behind a gap
    # is not in the node's pending count, and a resync must not give its nonce to another.
    node, manager = Counter(0), NonceManager(1, ADDRESS)
    async with manager.reserve(node) as zero, manager.reserve(node) as one:
        one.broadcast()  # nonce 1 reaches the node first and waits for nonce 0
        await manager.resync(node)  # the node still counts 0
        zero.broadcast()
    async with manager.reserve(node) as fresh:
        assert fresh.value == 2


async def test_two_chains_behind_one_chain_id_do_not_share_nonces() -> None:
    first, second = EvmDevnet(chain_id=1), EvmDevnet(chain_id=1)
    signer = LocalSigner("0x" + first.accounts[0].key.hex())
    bob = first.accounts[1].address
    for devnet, sends in ((first, 3), (second, 2)):
        async with devnet.client() as client:
            sender = TxSender(EthRpc(client), signer, 1, poll_interval=0.01)
            with anyio.fail_after(10):  # a nonce carried over would wait in a gap forever
                receipts = [await sender.send(TxRequest(to=bob, value=1)) for _ in range(sends)]
            assert [r.nonce for r in receipts] == list(range(sends))


@pytest.mark.parametrize("sends", [(20, 20), (1, 30)])
async def test_processes_sharing_an_account_through_a_lease_never_collide(
    node: Any, tmp_path: Any, sends: tuple[int, int]
) -> None:
    # Two "processes" (two managers and two journals on one file, as two Temporal workers
    # on one machine have) send from one account at once. Without the lease they would
    # sign different payments on the same nonces; with it, every send is mined, once.
    from anyio_workflow.journal import SqliteJournal

    signer = LocalSigner("0x" + node.accounts[0].key.hex())
    receivers = [to_checksum(f"0x{0xBEEF0000 + i:040x}") for i in range(sum(sends))]
    journals = [SqliteJournal(tmp_path / "journal.db") for _ in sends]
    managers = [NonceManagers(shared=tmp_path / "nonces") for _ in sends]
    receipts: list[Any] = []
    async with node.client() as client:
        eth = EthRpc(client)
        start = await eth.get_transaction_count(signer.address)

        async def process(index: int, first: int) -> None:
            sender = TxSender(
                eth, signer, node.chain_id, poll_interval=0.01,
                nonces=managers[index].get(node.chain_id, signer.address),
                durable=journals[index], labels=(f"run-{index}", "payer"),
            )  # fmt: skip

            async def pay(to: str, amount: int) -> None:
                receipts.append(await sender.send(TxRequest(to=to, value=amount)))

            async with anyio.create_task_group() as tg:
                for i in range(first, first + sends[index]):
                    tg.start_soon(pay, receivers[i], 10**12 + i)

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(process, 0, 0)
                tg.start_soon(process, 1, sends[0])
        for i, to in enumerate(receivers):
            assert await eth.get_balance(to) == 10**12 + i
        assert sorted(r.nonce for r in receipts) == list(range(start, start + sum(sends)))
        assert await eth.get_transaction_count(signer.address, "latest") == start + sum(sends)
    for journal in journals:
        await journal.aclose()
