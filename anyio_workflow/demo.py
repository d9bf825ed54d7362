"""The demo: a treasury pays vendors on two chains at once, on embedded devnets.

Two in-process EVM devnets stand in for "ethereum" (chain id 1) and "polygon" (chain id
137); every request to them crosses a fault-injecting transport that adds 50 ms of
simulated network latency and, now and then, an HTTP 503, so that concurrency and the
retry engine have something to hide. The transfers are real: signed with the devnet's
well-known test key, executed by py-evm, confirmed by their receipts.

A validator checks the treasury's balance on both chains first; the payout executors
run concurrently; an auditor records every outcome and a digest of them.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from eth_utils.address import to_checksum_address

from .agents.base import BaseAgent, Role
from .devnet.evm import EvmDevnet
from .errors import Veto
from .evm.accounts import LocalSigner, Signer
from .evm.tx import TxRequest
from .rpc.faults import FaultInjectingTransport
from .rpc.transport import Transport
from .workflow.config import AsyncWorkflowConfig, RetryPolicy
from .workflow.context import RunContext
from .workflow.engine import AsyncWorkflow
from .workflow.task import Task

__all__ = ["DigestAuditor", "NativePayout", "TreasuryCheck", "build_demo"]

CHAINS = {1: "ethereum", 137: "polygon"}
LATENCY = 0.05
GWEI = 10**9


class TreasuryCheck(BaseAgent):
    """Vetoes the run unless the treasury holds every chain's payouts plus a fee margin."""

    role = Role.VALIDATOR

    def __init__(self, treasury: str) -> None:
        super().__init__()
        self.treasury = treasury

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        balances = {}
        for chain_id in CHAINS:
            needed = sum(p["amount"] for p in task.params["payouts"] if p["chain_id"] == chain_id)
            needed += 21_000 * 100 * GWEI * len(task.params["payouts"])
            balance = await ctx.eth(chain_id).get_balance(self.treasury)
            if balance < needed:
                raise Veto(f"{CHAINS[chain_id]}: treasury holds {balance} wei, needs {needed}")
            balances[chain_id] = balance
        return balances


class NativePayout(BaseAgent):
    """Pays one vendor in the chain's native coin through the transaction pipeline.

    ``TxSender`` takes the nonce from the account's shared ``NonceManager`` when the agent
    runs, simulates, signs, sends and waits for the receipt; a failure after the
    broadcast is not retried (``TransactionError`` is permanent), so no vendor is paid twice.
    """

    role = Role.EXECUTOR

    def __init__(self, index: int, signer: Signer) -> None:
        super().__init__(f"payout-{index:03d}")
        self.index = index
        self.signer = signer

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        payout = task.params["payouts"][self.index]
        chain_id = payout["chain_id"]
        sender = ctx.sender(self.signer, chain_id, poll_interval=LATENCY)
        receipt = await sender.send(TxRequest(to=payout["to"], value=payout["amount"]))
        return {"chain": CHAINS[chain_id], "hash": receipt.hash, "gas_used": receipt.gas_used}


class DigestAuditor(BaseAgent):
    """Records every outcome and a SHA-256 digest of them (the audit issue signs and stores it)."""

    role = Role.AUDITOR

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        assert ctx.status is not None
        record = {
            "run_id": ctx.run_id,
            "status": ctx.status.value,
            "outcomes": [
                [o.agent, o.role.value, o.status.value, len(o.attempts), o.output]
                for o in ctx.outcomes
                if o.role is not Role.AUDITOR
            ],
        }
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def build_demo(agents: int, *, seed: int = 7) -> tuple[AsyncWorkflow, Task]:
    """The demo workflow and its task: ``agents`` payouts split over the two chains."""
    rng = random.Random(seed)
    devnets = {
        chain_id: EvmDevnet(chain_id=chain_id, name=name) for chain_id, name in CHAINS.items()
    }
    treasury = LocalSigner("0x" + devnets[1].accounts[0].key.hex())  # a public test key

    def remote(devnet: EvmDevnet, chain_seed: int) -> Any:
        def transport() -> Transport:
            return FaultInjectingTransport(
                devnet.transport(), latency=LATENCY, rates={"http_503": 0.03}, seed=chain_seed
            )

        return transport

    payouts = [
        {
            "chain_id": 1 if i % 2 == 0 else 137,
            "to": to_checksum_address(hashlib.sha256(f"vendor-{i}".encode()).hexdigest()[:40]),
            "amount": rng.randrange(10**15, 10**18),
        }
        for i in range(agents)
    ]
    workflow = AsyncWorkflow(
        [
            TreasuryCheck(treasury.address),
            *(NativePayout(i, treasury) for i in range(agents)),
            DigestAuditor(),
        ],
        AsyncWorkflowConfig(
            max_workers=16,
            retry=RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.5),
            timeout=120,
        ),
        rng=random.Random(seed),
        rpc={chain_id: remote(devnet, seed + chain_id) for chain_id, devnet in devnets.items()},
    )
    return workflow, Task(action="payout", params={"payouts": payouts}, chain_id=1)
