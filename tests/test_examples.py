"""Every example runs on the embedded devnet, and did on chain what it says."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from anyio_workflow.rpc import EthRpc
from anyio_workflow.workflow.status import RunStatus

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def examples() -> Iterator[None]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield
    finally:
        sys.path.remove(str(EXAMPLES))


def load(name: str) -> ModuleType:
    return importlib.import_module(name)


@pytest.mark.usefixtures("examples")
async def test_batch_payout_pays_100_vendors_in_two_batches() -> None:
    example = load("batch_payout")
    out = await example.main()
    chain, report = out["setup"], out["report"]
    common = load("_common")
    for vendor, amount in zip(example.VENDORS, example.AMOUNTS, strict=True):
        assert await common.token_balance(chain.devnet, chain.contracts["usdc"], vendor) == amount
    assert report.batched and [len(t.payouts) for t in report.transactions] == [50, 50]
    assert out["result"].audit.stored


@pytest.mark.usefixtures("examples")
async def test_nft_mint_mints_100_in_eco_mode() -> None:
    out = await load("nft_mint").main()
    chain = out["setup"]
    assert out["report"].token_ids == tuple(range(1, 101))
    assert out["result"].outcome("mint_erc721_batch").output.receipts[0].status == 1
    common = load("_common")
    owned = await common.token_balance(chain.devnet, chain.contracts["nft"], chain.treasury.address)
    assert owned == 100
    assert chain.chain_id == 137 and out["result"].task.action == "mint_erc721_batch"


@pytest.mark.usefixtures("examples")
async def test_rebalance_moves_liquidity_on_both_chains_at_once() -> None:
    example = load("rebalance")
    out = await example.main()
    usdc, weth = example.USDC, example.WETH
    held = await example.balances(out)
    # ethereum: 2,000,000 minted, 1,000,000 supplied to Aave, 100,000 borrowed, 400,000 out
    assert held["usdc@ethereum"] == 1_500_000 * usdc
    # polygon: 5,000,000 minted, 4,000,000 in the pool's liquidity, 200,000 swapped
    assert held["usdc@polygon"] == 800_000 * usdc
    result = out["result"]
    swap = result.outcome("uniswap@polygon").output
    # 5,000 WETH minted, up to 2,000 in the pool (the position manager takes at most that)
    left = held["weth@polygon"] - swap.amount_out
    assert 3_000 * weth <= left < 3_000 * weth + 10**6
    assert swap.amount_in == 200_000 * usdc and swap.amount_out >= swap.limit
    withdrawn = result.outcome("aave@ethereum").output
    # 600,000 USDC of collateral over 100,000 owed, plus a few seconds of interest
    assert 600_000 * 10**8 <= withdrawn.after.collateral < 600_001 * 10**8
    assert withdrawn.after.health is not None and abs(
        withdrawn.after.health - Decimal("5.1")
    ) < Decimal("0.0001")
    async with out["ethereum"].devnet.client() as client:
        position = await out["aave"].account(EthRpc(client), out["ethereum"].treasury.address)
    assert position == withdrawn.after  # read back from the chain
    starts = {o.agent: o.started_at for o in result.outcomes}
    ends = {o.agent: o.finished_at for o in result.outcomes}
    # The two chains' executors overlapped in time.
    assert starts["aave@ethereum"] < ends["uniswap@polygon"]
    assert starts["uniswap@polygon"] < ends["aave@ethereum"]
    assert {t.chain_id for t in result.audit.record.transactions} == {1, 137}


@pytest.mark.usefixtures("examples")
async def test_hedge_sells_at_no_less_than_the_oracle_says_and_refuses_a_mad_price() -> None:
    example = load("hedge")
    usdc, weth = example.USDC, example.WETH
    out = await example.main(price=3_150)
    chain, result = out["setup"], out["result"]
    assert result.ok, result.error
    swap = result.outcome("hedge").output
    floor = 60 * 3_150 * usdc * 99 // 100  # half of 120 ETH at 3,150, less 1 %
    assert swap.amount_in == 60 * weth and swap.limit >= floor
    assert swap.amount_out >= swap.limit
    common = load("_common")
    treasury = chain.treasury.address
    held = await common.token_balance(chain.devnet, chain.contracts["usdc"], treasury)
    assert held == 10**8 * usdc - 20_000 * 3_150 * usdc + swap.amount_out  # read back
    # A pool priced under the oracle: the swap reverts at its simulation, nothing is sent.
    cheap = await example.main(price=3_150, pool_price=2_900)
    assert not cheap["result"].ok and "Too little received" in str(cheap["result"].error)
    weth_left = await common.token_balance(
        cheap["setup"].devnet, cheap["setup"].contracts["weth"], treasury
    )
    # 20,120 minted, up to 20,000 in the pool (the position manager's rounding), none sold
    assert 120 * weth <= weth_left < 120 * weth + 10**6
    mad = await example.main(price=90_000)
    assert mad["result"].status is RunStatus.VETOED
    assert "outside [500, 20000]" in str(mad["result"].error)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("[!_]*.py")))
def test_each_example_runs_as_a_script(name: str) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


@pytest.mark.usefixtures("examples")
async def test_multisig_budget_is_vetoed_with_one_approval_and_executes_with_two() -> None:
    from anyio_workflow.compliance import tally

    out = await load("multisig_budget").main()
    vetoed, executed, pending = out["vetoed"], out["executed"], out["pending"]
    cfo, coo, ceo = out["owners"]
    assert vetoed.status is RunStatus.VETOED
    assert "1 of 2 approvals" in str(vetoed.error) and ceo.address in str(vetoed.error)
    assert vetoed.outcome("SafeTransferAgent").status.value == "skipped"
    assert executed.ok, executed.error
    common = load("_common")
    example = load("multisig_budget")
    held = await common.token_balance(out["setup"].devnet, out["dai"], example.RECIPIENT)
    assert held == 750_000 * 10**18
    record = executed.audit.record
    (compliance,) = [a for a in record.agents if a.name == "ComplianceAgent"]
    signed = {
        a["signer"]: bytes.fromhex(a["signature"][2:]) for a in compliance.output["approvals"]
    }
    assert set(signed) == {cfo.address, coo.address}
    from anyio_workflow.compliance import Approval

    recorded = [
        Approval(signer=s, signature=sig, digest=pending.digest()) for s, sig in signed.items()
    ]
    assert tally(pending, recorded, [cfo.address, coo.address, ceo.address], 2).reached
    (treasury,) = [a for a in record.agents if a.name == "TreasuryAgent"]
    assert treasury.output["over_threshold"] is True


@pytest.mark.usefixtures("examples")
async def test_multichain_payout_pays_everyone_on_three_chains_in_one_record() -> None:
    from solders.pubkey import Pubkey

    from anyio_workflow.solana import SolanaRpc
    from anyio_workflow.solana.spl import token_holding

    example = load("multichain_payout")
    out = await example.main()
    common = load("_common")
    for name in ("ethereum", "polygon"):
        chain = out[name]
        for vendor, amount in zip(example.EVM_STAFF[name], example.USDC_PAY, strict=True):
            held = await common.token_balance(chain.devnet, chain.contracts["usdc"], vendor)
            assert held == amount, (name, vendor)
    sol, mint = out["solana"], Pubkey.from_string(out["usdc_mint"])
    async with sol.client() as client:
        rpc = SolanaRpc(client)
        for who, pay in zip(out["sol_staff"], example.SOL_PAY, strict=True):
            assert await rpc.get_balance(who) == int(pay * 10**9)
        for who, pay in zip(out["spl_staff"], example.USDC_PAY, strict=True):
            assert await token_holding(rpc, Pubkey.from_string(who), mint) == pay
    result = out["result"]
    record = result.audit.record
    chains = {t.chain_id for t in record.transactions}
    assert chains == {1, 137, sol.chain_id}
    assert all(t.status == 1 for t in record.transactions)
    sent = {r.hash for o in result.outcomes for r in getattr(o.output, "receipts", ())}
    assert {t.hash for t in record.transactions} == sent
