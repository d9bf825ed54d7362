"""The demo: a treasury pays vendors on two chains at once, on embedded devnets.

Two in-process EVM devnets stand in for "ethereum" (chain id 1) and "polygon" (chain id
137); every request to them crosses a fault-injecting transport that adds 50 ms of
simulated network latency and, now and then, an HTTP 503, so that concurrency and the
retry engine have something to hide. The transfers are real: signed with the devnet's
well-known test key, executed by py-evm, confirmed by their receipts.

Validators check the treasury's balances on both chains first (native coin, and test
USDC for the payrolls); then, concurrently, a batched USDC payroll runs on each chain
(``BatchTransferAgent``, through the project's ``BatchPayer`` contract) beside one agent
per native payout; last, an ``AuditorAgent`` signs and stores the run's record and gives
its CID.

The figures it prints are measured, not estimated: after the run, :meth:`Demo.sample`
sends a few of the same payouts one by one (a USDC transfer and a native payout per
chain, to fresh vendors, through the same 50 ms of latency). The gas batching saved is
the payrolls' gas against that measured single-transfer gas times the payouts; the
sequential time is that measured seconds-per-transaction times the transactions a
one-by-one run would send (an extrapolation from the sample, and named so).
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from ..agents.auditor import AuditorAgent
from ..agents.batch import BatchReport, BatchTransferAgent
from ..agents.context import AgentContext
from ..agents.risk import MinBalance, RiskMonitorAgent
from ..contracts import deploy
from ..core.agent import BaseAgent
from ..core.roles import Role
from ..devnet.evm import EvmDevnet
from ..errors import Veto
from ..evm.abi import function
from ..evm.accounts import LocalSigner, Signer
from ..evm.address import to_checksum
from ..evm.tx import TxReceipt, TxRequest, TxSender, receipts_in
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from ..rpc.faults import FaultInjectingTransport
from ..rpc.transport import Transport
from ..storage.stores import ContentStore
from ..workflow.config import AsyncWorkflowConfig, RetryPolicy
from ..workflow.engine import AsyncWorkflow
from ..workflow.result import WorkflowResult
from ..workflow.task import Task

__all__ = ["Demo", "NativePayout", "TreasuryCheck", "build_demo"]

CHAINS = {1: "ethereum", 137: "polygon"}
LATENCY = 0.05
GWEI = 10**9


class TreasuryCheck(BaseAgent[AgentContext]):
    """Vetoes the run unless the treasury holds every chain's payouts plus a fee margin.

    Cancellation: it only reads balances; cancelled, nothing was sent.
    """

    role = Role.VALIDATOR

    def __init__(self, treasury: str) -> None:
        super().__init__()
        self.treasury = treasury

    async def execute(self, task: Task, ctx: AgentContext) -> Any:
        balances = {}
        for chain_id in CHAINS:
            needed = sum(p["amount"] for p in task.params["payouts"] if p["chain_id"] == chain_id)
            needed += 21_000 * 100 * GWEI * len(task.params["payouts"])
            balance = await ctx.eth(chain_id).get_balance(self.treasury)
            if balance < needed:
                raise Veto(f"{CHAINS[chain_id]}: treasury holds {balance} wei, needs {needed}")
            balances[chain_id] = balance
        return balances


class NativePayout(BaseAgent[AgentContext]):
    """Pays one vendor in the chain's native coin through the transaction pipeline.

    ``TxSender`` takes the nonce from the account's shared ``NonceManager`` when the agent
    runs, simulates, signs, sends and waits for the receipt; a failure after the
    broadcast is not retried (``TransactionError`` is permanent), so no vendor is paid twice.

    Cancellation: a payout already broadcast stays sent; only the wait for its receipt
    is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(self, index: int, signer: Signer) -> None:
        super().__init__(f"payout-{index:03d}")
        self.index = index
        self.signer = signer

    async def execute(self, task: Task, ctx: AgentContext) -> TxReceipt:
        payout = task.params["payouts"][self.index]
        chain_id = payout["chain_id"]
        sender = ctx.sender(self.signer, chain_id, poll_interval=LATENCY)
        return await sender.send(TxRequest(to=payout["to"], value=payout["amount"]))


USDC = 10**6
MINT = function("mint(address,uint256)")
TRANSFER = function("transfer(address,uint256) returns (bool)")


async def _deploy_tokens(devnet: EvmDevnet, treasury: LocalSigner, usdc: int) -> dict[str, str]:
    """A test USDC the treasury holds ``usdc`` of, and a BatchPayer, on ``devnet``."""
    async with devnet.client() as client:
        sender = TxSender(EthRpc(client), treasury, devnet.chain_id)
        token = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        await sender.send(TxRequest(to=token, data=MINT.calldata(treasury.address, usdc)))
        return {"usdc": token, "batcher": await deploy(sender, "BatchPayer")}


def _vendor(label: str) -> str:
    return to_checksum("0x" + hashlib.sha256(label.encode()).hexdigest()[:40])


@dataclass
class Demo:
    """The demo's workflow and task, and what it runs on."""

    workflow: AsyncWorkflow
    task: Task
    devnets: dict[int, EvmDevnet]
    tokens: dict[int, dict[str, str]]
    treasury: LocalSigner
    seed: int
    samples: list[dict[str, Any]] = field(default_factory=list)

    async def sample(self) -> list[dict[str, Any]]:
        """Send a USDC transfer and a native payout per chain one by one, each to a fresh
        vendor through the demo's latency, and keep what each cost (gas, seconds).

        Cancellation: the sample transfers already mined stay paid; the rest are not sent.
        """
        for chain_id, name in CHAINS.items():
            devnet = self.devnets[chain_id]
            transport = FaultInjectingTransport(devnet.transport(), latency=LATENCY)
            async with JsonRpcClient(transport) as client:
                sender = TxSender(EthRpc(client), self.treasury, chain_id, poll_interval=LATENCY)
                usdc, vendor = self.tokens[chain_id]["usdc"], _vendor(f"{name}-sample-{self.seed}")
                for kind, request in (
                    ("usdc", TxRequest(to=usdc, data=TRANSFER.calldata(vendor, 1_000 * USDC))),
                    ("native", TxRequest(to=_vendor(f"{name}-sample-native"), value=10**15)),
                ):
                    started = time.perf_counter()
                    receipt = await sender.send(request)
                    self.samples.append(
                        {"chain_id": chain_id, "kind": kind, "gas_used": receipt.gas_used,
                         "seconds": time.perf_counter() - started}
                    )  # fmt: skip
        return self.samples


async def build_demo(
    agents: int, *, batch: int = 50, seed: int = 7, store: ContentStore | None = None
) -> Demo:
    """The demo workflow and its task: on each chain a batched USDC payroll of ``batch``
    vendors, and ``agents`` native payouts split over the two chains, each its own agent.

    Cancellation: contracts already deployed stay on the devnets; the workflow is not
    returned.
    """
    rng = random.Random(seed)
    devnets = {
        chain_id: EvmDevnet(chain_id=chain_id, name=name) for chain_id, name in CHAINS.items()
    }
    treasury = LocalSigner("0x" + devnets[1].accounts[0].key.hex())  # a public test key
    tokens = {c: await _deploy_tokens(d, treasury, 10**9 * USDC) for c, d in devnets.items()}

    def remote(devnet: EvmDevnet, chain_seed: int) -> Any:
        def transport() -> Transport:
            return FaultInjectingTransport(
                devnet.transport(), latency=LATENCY, rates={"http_503": 0.03}, seed=chain_seed
            )

        return transport

    payouts = [
        {
            "chain_id": 1 if i % 2 == 0 else 137,
            "to": _vendor(f"vendor-{i}"),
            "amount": rng.randrange(10**15, 10**18),
        }
        for i in range(agents)
    ]
    payrolls: list[BaseAgent] = []
    usdc_needed: list[BaseAgent] = []
    for chain_id, name in CHAINS.items():
        staff = [
            (_vendor(f"{name}-staff-{i}"), rng.randrange(500, 5_000) * USDC) for i in range(batch)
        ]
        payrolls.append(
            BatchTransferAgent(
                staff, token=tokens[chain_id]["usdc"], batcher=tokens[chain_id]["batcher"],
                chain_id=chain_id, signer=treasury, name=f"payroll@{name}",
            )
        )  # fmt: skip
        total = sum(amount for _, amount in staff)
        usdc_needed.append(
            RiskMonitorAgent(
                [
                    MinBalance(
                        treasury.address, total, token=tokens[chain_id]["usdc"], chain_id=chain_id
                    )
                ],
                name=f"usdc@{name}",
            )
        )
    workflow = AsyncWorkflow(
        [
            TreasuryCheck(treasury.address),
            *usdc_needed,
            *payrolls,
            *(NativePayout(i, treasury) for i in range(agents)),
            AuditorAgent(signer=treasury, store=store),
        ],
        AsyncWorkflowConfig(
            max_workers=16,
            retry=RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.5),
            timeout=120,
        ),
        rng=random.Random(seed),
        rpc={chain_id: remote(devnet, seed + chain_id) for chain_id, devnet in devnets.items()},
    )
    task = Task(action="payout", params={"payouts": payouts}, chain_id=1)
    return Demo(workflow, task, devnets, tokens, treasury, seed)


def receipts_by_agent(result: WorkflowResult) -> list[tuple[str, TxReceipt]]:
    """Every transaction of the run, with the agent that sent it."""
    return [
        (outcome.agent, receipt)
        for outcome in result.by_role(Role.EXECUTOR)
        for receipt in receipts_in(outcome.output)
    ]


def batching_savings(result: WorkflowResult, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """What the payrolls used, against the measured gas of single USDC transfers (the
    sample) times their payouts; the nodes' estimate is shown beside it, labelled."""
    reports = [o.output for o in result.outcomes if isinstance(o.output, BatchReport)]
    used = sum(r.gas_used for r in reports)
    payouts = sum(len(t.payouts) for r in reports for t in r.transactions)
    single = [s["gas_used"] for s in samples if s["kind"] == "usdc"]
    one_by_one = round(statistics.mean(single) * payouts) if single and payouts else 0
    estimate = sum(r.estimated_individual_gas for r in reports)
    return {
        "payouts": payouts,
        "transactions": sum(len(r.receipts) for r in reports),
        "gas_used": used,
        "single_transfer_gas": single,
        "one_by_one_measured": one_by_one,
        "gas_saved_pct": 100 * (1 - used / one_by_one) if one_by_one else 0.0,
        "one_by_one_estimate": estimate,
        "gas_saved_vs_estimate_pct": 100 * (1 - used / estimate) if estimate else 0.0,
    }


def sequential_extrapolated(result: WorkflowResult, samples: list[dict[str, Any]]) -> float:
    """Seconds the run's payouts would take one after another: the sample's measured
    seconds per transaction times the transactions of a one-by-one run (every native
    payout, and every payroll payout as its own transfer)."""
    per_tx: float = statistics.mean(float(s["seconds"]) for s in samples)
    native = sum(1 for o in result.outcomes if isinstance(o.output, TxReceipt))
    payroll = sum(
        len(t.payouts)
        for o in result.outcomes
        if isinstance(o.output, BatchReport)
        for t in o.output.transactions
    )
    return per_tx * (native + payroll)
