"""How fast is the embedded EVM devnet: transfers per second in-process (revm, its default
engine, and py-evm) and over loopback, beside anvil, and a 100-transfer workflow.

Goals (issue 19): revm in-process against anvil over loopback >= 1.0 (``revm_vs_anvil``),
revm against py-evm >= 10 (``revm_vs_pyevm``); the workflow under 5 s.

    python benchmarks/devnet.py            # 300 transfers per variant
    python benchmarks/devnet.py --quick    # 100 transfers per variant
    python benchmarks/devnet.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from eth_account.signers.local import LocalAccount

sys.path.insert(0, str(Path(__file__).parent))
from _node import anvil_process

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, RunContext, Task
from anyio_workflow.devnet import Anvil, EvmDevnet
from anyio_workflow.devnet.evm import Backend
from anyio_workflow.devnet.jsonrpc import Executor
from anyio_workflow.rpc import EthRpc, JsonRpcClient

CONCURRENCY = 16


def signed(account: LocalAccount, chain_id: int, nonce: int, to: str) -> bytes:
    tx = {
        "to": to, "value": 1, "gas": 21_000, "nonce": nonce, "chainId": chain_id,
        "maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
    }  # fmt: skip
    raw: bytes = account.sign_transaction(tx).raw_transaction
    return raw


async def transfers_per_s(
    client: JsonRpcClient, sender: LocalAccount, chain_id: int, n: int
) -> float:
    """n pre-signed transfers sent CONCURRENCY at a time, each confirmed by its receipt."""
    eth = EthRpc(client)
    start = await eth.get_transaction_count(sender.address)
    raws = [signed(sender, chain_id, start + i, "0x" + "22" * 20) for i in range(n)]
    pending = iter(raws)

    async def worker() -> None:
        for raw in pending:
            tx_hash = await eth.send_raw_transaction(raw)
            await eth.wait_for_receipt(tx_hash, poll_interval=0.005)

    started = time.perf_counter()
    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            for _ in range(CONCURRENCY):
                tg.start_soon(worker)
    elapsed = time.perf_counter() - started
    assert await eth.get_transaction_count(sender.address) == start + n
    return n / elapsed


class Payout(BaseAgent):
    """Takes the next nonce, signs and sends one transfer, and waits for its receipt.

    The nonce is taken when the agent runs, not when it is made: an agent holding a
    worker slot must never wait on a nonce that an agent without a slot still holds.
    (The EVM issue's NonceManager does this properly; this is the benchmark's stand-in.)
    """

    def __init__(self, sender: LocalAccount, index: int) -> None:
        super().__init__(f"payout-{index}")
        self.sender = sender

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        eth = ctx.eth()
        nonce = ctx.state["next_nonce"] = ctx.state.get("next_nonce", -1) + 1
        raw = signed(self.sender, ctx.chain_id, nonce, "0x" + "33" * 20)
        tx_hash = await eth.send_raw_transaction(raw)
        return await eth.wait_for_receipt(tx_hash, poll_interval=0.005)


async def workflow_100(executor: Executor, backend: Backend = "revm") -> float:
    """Wall time of a workflow of 100 transfer agents on a fresh in-process devnet."""
    devnet = EvmDevnet(executor=executor, backend=backend)
    sender = devnet.accounts[0]
    agents = [Payout(sender, nonce) for nonce in range(100)]
    started = time.perf_counter()
    wf = AsyncWorkflow(
        agents,
        # The devnet's speed, not the audit record's: no record is stored.
        AsyncWorkflowConfig(max_workers=32, timeout=60, auto_store_proofs=False),
        rpc={devnet.chain_id: devnet.transport},
    )
    result = await wf.run("payout", devnet.chain_id)
    elapsed = time.perf_counter() - started
    assert result.ok and len(result) == 100, result
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 transfers per variant")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    n = 100 if args.quick else 300

    def inprocess(
        executor: Executor, backend: Backend = "revm"
    ) -> Callable[[], AbstractAsyncContextManager[tuple[JsonRpcClient, LocalAccount, int]]]:
        @asynccontextmanager
        async def open_() -> AsyncIterator[tuple[JsonRpcClient, LocalAccount, int]]:
            devnet = EvmDevnet(executor=executor, backend=backend)
            async with devnet.client() as client:
                yield client, devnet.accounts[0], devnet.chain_id

        return open_

    @asynccontextmanager
    async def loopback() -> AsyncIterator[tuple[JsonRpcClient, LocalAccount, int]]:
        devnet = EvmDevnet()
        async with devnet.serve() as url, JsonRpcClient(url) as client:
            yield client, devnet.accounts[0], devnet.chain_id

    figures: dict[str, Any] = {"transfers_per_variant": n, "concurrency": CONCURRENCY}
    figures["goals"] = {
        "workflow_100_transfers_s": ["<=", 5],
        "workflow_100_transfers_s_trio": ["<=", 5],
        "revm_vs_anvil": [">=", 1.0],
        "revm_vs_pyevm": [">=", 10],
    }
    variants = {
        "transfers_per_s_inprocess": inprocess("inline"),
        "transfers_per_s_inprocess_pyevm": inprocess("inline", "py-evm"),
        "transfers_per_s_inprocess_thread": inprocess("thread"),
        "transfers_per_s_loopback": loopback,
    }
    for key, opener in variants.items():

        async def measure(opener: Any = opener) -> float:
            async with opener() as (client, sender, chain_id):
                return await transfers_per_s(client, sender, chain_id, n)

        figures[key] = anyio.run(measure)
    with anvil_process() as url:

        async def on_anvil() -> float:
            async with JsonRpcClient(url) as client:
                return await transfers_per_s(client, Anvil().accounts[0], 31337, n)

        figures["transfers_per_s_anvil"] = anyio.run(on_anvil)
    figures["workflow_100_transfers_s"] = anyio.run(workflow_100, "inline")
    figures["workflow_100_transfers_s_trio"] = anyio.run(workflow_100, "inline", backend="trio")
    figures["workflow_100_transfers_s_thread"] = anyio.run(workflow_100, "thread")
    figures["workflow_100_transfers_s_pyevm"] = anyio.run(workflow_100, "inline", "py-evm")
    figures["revm_vs_anvil"] = (
        figures["transfers_per_s_inprocess"] / figures["transfers_per_s_anvil"]
    )
    figures["revm_vs_pyevm"] = (
        figures["transfers_per_s_inprocess"] / figures["transfers_per_s_inprocess_pyevm"]
    )
    figures["thread_vs_inline"] = (
        figures["transfers_per_s_inprocess_thread"] / figures["transfers_per_s_inprocess"]
    )
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{n} transfers per variant, {CONCURRENCY} in flight, each confirmed by its receipt")
    for key, value in figures.items():
        if key == "goals":
            continue
        print(
            f"  {key:<36} {value:>10.3f}"
            if isinstance(value, float)
            else f"  {key:<36} {value:>10}"
        )
    print("goals: workflow_100_transfers_s < 5, revm_vs_anvil >= 1, revm_vs_pyevm >= 10")


if __name__ == "__main__":
    main()
