"""The demo: a treasury pays vendors on three chains at once, on embedded devnets.

Two in-process EVM devnets stand in for "ethereum" (chain id 1) and "polygon" (chain id
137), and a LiteSVM devnet for Solana; every request to them crosses a fault-injecting
transport that adds 50 ms of simulated network latency and, now and then, an HTTP 503,
so that concurrency and the retry engine have something to hide. The transfers are real:
signed with the devnets' test keys, executed by py-evm and by the SVM, confirmed by their
receipts and signature statuses.

Validators check the treasury's balances on every chain first (native coin, and test
USDC for the payrolls); then, concurrently, a batched USDC payroll runs on each EVM chain
(``BatchTransferAgent``, through the project's ``BatchPayer`` contract) beside one agent
per native payout, and on Solana a SPL USDC payroll and a SOL payout run, each packed
into as few transactions as their size limit allows (``SolanaPayoutAgent``); last, an
``AuditorAgent`` signs and stores the run's record of all three chains and gives its
CID.

The figures it prints are measured, not estimated: after the run, :meth:`Demo.sample`
sends a few of the same payouts one by one (a USDC transfer and a native payout per EVM
chain, and a SOL transfer, to fresh vendors, through the same 50 ms of latency). The gas
batching saved is the payrolls' gas against that measured single-transfer gas times the payouts; the
sequential time is, per chain, that chain's measured seconds-per-transaction times the
transactions a one-by-one run would send there (an extrapolation from the sample, and
named so).
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from ..agents.auditor import AuditorAgent
from ..agents.batch import BatchReport, BatchTransferAgent
from ..agents.context import AgentContext
from ..agents.risk import MinBalance, RiskMonitorAgent
from ..agents.solana import SolanaPayoutAgent, SolanaPayoutReport
from ..contracts import deploy
from ..core.agent import BaseAgent
from ..core.roles import Role
from ..devnet.evm import EvmDevnet
from ..devnet.solana import SolanaDevnet
from ..errors import Veto
from ..evm.abi import function
from ..evm.accounts import LocalSigner, Signer
from ..evm.address import to_checksum
from ..evm.tx import TxReceipt, TxRequest, TxSender, receipts_in
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from ..rpc.faults import FaultInjectingTransport
from ..rpc.transport import Transport
from ..solana.client import SolanaRpc
from ..solana.signer import SolanaSigner
from ..solana.tx import SolanaReceipt, SolanaSender
from ..storage.stores import ContentStore
from ..workflow.config import AsyncWorkflowConfig, RetryPolicy
from ..workflow.engine import AsyncWorkflow
from ..workflow.result import WorkflowResult
from ..workflow.task import Task

__all__ = ["Demo", "NativePayout", "TreasuryCheck", "build_demo", "chain_name"]

CHAINS = {1: "ethereum", 137: "polygon"}
"""The demo's EVM chains; its Solana devnet is named "solana"."""
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


def _solana_vendor(label: str) -> str:
    return str(Keypair.from_seed(hashlib.sha256(label.encode()).digest()).pubkey())


def chain_name(chain_id: int | str) -> str:
    """The demo's name for a chain: "ethereum", "polygon" or "solana"."""
    if isinstance(chain_id, int):
        return CHAINS.get(chain_id, str(chain_id))
    return "solana" if chain_id.startswith("solana:") else chain_id


@dataclass
class Demo:
    """The demo's workflow and task, and what it runs on."""

    workflow: AsyncWorkflow
    task: Task
    devnets: dict[int, EvmDevnet]
    tokens: dict[int, dict[str, str]]
    treasury: LocalSigner
    seed: int
    solana: SolanaDevnet
    solana_treasury: SolanaSigner
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
        transport = FaultInjectingTransport(self.solana.transport(), latency=LATENCY)
        async with JsonRpcClient(transport) as client:
            sol = SolanaSender(SolanaRpc(client), self.solana_treasury, self.solana.chain_id,
                               poll_interval=LATENCY)  # fmt: skip
            payee = Pubkey.from_string(_solana_vendor(f"solana-sample-{self.seed}"))
            payment = TransferParams(from_pubkey=self.solana_treasury.pubkey, to_pubkey=payee,
                                     lamports=10**6)  # fmt: skip
            started = time.perf_counter()
            await sol.send([transfer(payment)])
            self.samples.append(
                {
                    "chain_id": self.solana.chain_id,
                    "kind": "sol",
                    "gas_used": None,
                    "seconds": time.perf_counter() - started,
                }
            )
        return self.samples


async def build_demo(
    agents: int, *, batch: int = 50, seed: int = 7, store: ContentStore | None = None
) -> Demo:
    """The demo workflow and its task: on each EVM chain a batched USDC payroll of
    ``batch`` vendors, and ``agents`` native payouts split over the two chains, each its
    own agent; on Solana a SPL USDC payroll of ``batch`` vendors and ``agents`` SOL
    payouts, each packed into as few transactions as fit.

    Cancellation: contracts already deployed stay on the devnets; the workflow is not
    returned.
    """
    rng = random.Random(seed)
    devnets = {
        chain_id: EvmDevnet(chain_id=chain_id, name=name) for chain_id, name in CHAINS.items()
    }
    treasury = LocalSigner("0x" + devnets[1].accounts[0].key.hex())  # a public test key
    tokens = {c: await _deploy_tokens(d, treasury, 10**9 * USDC) for c, d in devnets.items()}

    def remote(devnet: EvmDevnet | SolanaDevnet, chain_seed: int) -> Any:
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
    sol = SolanaDevnet(name="solana")
    sol_treasury = SolanaSigner(bytes(sol.funded[0]))  # a keypair of the devnet's own
    sol.create_mint(decimals=6, holders={sol_treasury.address: 10**9 * USDC}, symbol="USDC")
    sol_staff = [(_solana_vendor(f"solana-staff-{i}"), rng.randrange(500, 5_000) * USDC)
                 for i in range(batch)]  # fmt: skip
    sol_vendors = [(_solana_vendor(f"solana-vendor-{i}"), rng.randrange(10**7, 10**9))
                   for i in range(agents)]  # fmt: skip
    usdc_needed.append(
        RiskMonitorAgent(
            [MinBalance(sol_treasury.address, sum(a for _, a in sol_staff), token="USDC",
                        chain_id=sol.chain_id),
             MinBalance(sol_treasury.address, sum(a for _, a in sol_vendors) + 10**8,
                        chain_id=sol.chain_id)],
            name="treasury@solana",
        )
    )  # fmt: skip
    payrolls += [
        SolanaPayoutAgent(sol_staff, mint="USDC", chain_id=sol.chain_id, signer=sol_treasury,
                          name="payroll@solana"),
        SolanaPayoutAgent(sol_vendors, chain_id=sol.chain_id, signer=sol_treasury,
                          name="sol-payouts@solana"),
    ]  # fmt: skip
    rpc: dict[int | str, Any] = {
        chain_id: remote(devnet, seed + chain_id) for chain_id, devnet in devnets.items()
    }
    rpc[sol.chain_id] = remote(sol, seed + 501)
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
        rpc=rpc,
    )
    task = Task(action="payout", params={"payouts": payouts}, chain_id=1)
    return Demo(workflow, task, devnets, tokens, treasury, seed, sol, sol_treasury)


def receipts_by_agent(result: WorkflowResult) -> list[tuple[str, TxReceipt | SolanaReceipt]]:
    """Every transaction of the run, on every chain, with the agent that sent it."""
    rows: list[tuple[str, TxReceipt | SolanaReceipt]] = []
    for outcome in result.by_role(Role.EXECUTOR):
        rows += [(outcome.agent, receipt) for receipt in receipts_in(outcome.output)]
        if isinstance(outcome.output, SolanaPayoutReport):
            rows += [(outcome.agent, receipt) for receipt in outcome.output.receipts]
    return rows


def receipt_row(agent: str, receipt: TxReceipt | SolanaReceipt) -> dict[str, Any]:
    """One line of the receipts table: an EVM transaction's block and gas, a Solana
    transaction's slot and compute-unit limit."""
    row: dict[str, Any] = {"agent": agent, "chain": chain_name(receipt.chain_id),
                           "hash": receipt.hash, "status": receipt.status}  # fmt: skip
    if isinstance(receipt, SolanaReceipt):
        return row | {"block": receipt.slot, "gas_used": None, "fee_paid": None,
                      "compute_unit_limit": receipt.compute_unit_limit}  # fmt: skip
    return row | {"block": receipt.block_number, "gas_used": receipt.gas_used,
                  "fee_paid": receipt.fee_paid}  # fmt: skip


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
    """Seconds the run's payouts would take one after another: per chain, the sample's
    measured seconds per transaction there times the transactions a one-by-one run would
    send there (every native payout, every payroll payout as its own transfer, every
    Solana payout as its own transaction)."""
    one_by_one: dict[int | str, int] = {}
    for outcome in result.outcomes:
        output = outcome.output
        if isinstance(output, TxReceipt):
            one_by_one[output.chain_id] = one_by_one.get(output.chain_id, 0) + 1
        elif isinstance(output, BatchReport) and output.transactions:
            evm = output.transactions[0].receipt.chain_id
            paid = sum(len(t.payouts) for t in output.transactions)
            one_by_one[evm] = one_by_one.get(evm, 0) + paid
        elif isinstance(output, SolanaPayoutReport) and output.batches:
            cluster = output.batches[0].receipt.chain_id
            paid = sum(len(b.payouts) for b in output.batches)
            one_by_one[cluster] = one_by_one.get(cluster, 0) + paid
    total = 0.0
    for where, count in one_by_one.items():
        seconds = [float(s["seconds"]) for s in samples if s["chain_id"] == where]
        total += statistics.mean(seconds) * count
    return total


def solana_packing(result: WorkflowResult) -> dict[str, int]:
    """How many Solana payouts went out in how many transactions."""
    reports = [o.output for o in result.outcomes if isinstance(o.output, SolanaPayoutReport)]
    return {
        "payouts": sum(len(b.payouts) for r in reports for b in r.batches),
        "transactions": sum(len(r.batches) for r in reports),
    }
