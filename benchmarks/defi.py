"""Quotes and swaps on Uniswap V3 (the real contracts, from their npm bytecode) on anvil.

50 swaps of 100 USDC for WETH, each quoted first (QuoterV2) and bounded 0.5 % under its
quote: our pipeline (50 ``UniswapV3Agent``s in one run, 16 at once: coalesced reads,
nonces from the run's nonce manager) against the same quotes and swaps through web3.py
one after another (contract objects, ``build_transaction``, sign, send, wait for the
receipt; in .venv-bench), on the same anvil, each from its own account, its router
approved once beforehand. Key: ``vs_web3py_sequential`` (goal >= 5), and
``swaps_per_s``.

    python benchmarks/defi.py            # 50 swaps, 5 rounds (medians)
    python benchmarks/defi.py --quick    # 20 swaps, 2 rounds
    python benchmarks/defi.py --json [--rpc URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _baselines import web3
from _node import anvil_process

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import UniswapV3Agent
from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import Contract, LocalSigner, TxSender
from anyio_workflow.evm.abi import ERC20_ABI
from anyio_workflow.rpc import EthRpc, JsonRpcClient
from anyio_workflow.testing.uniswap import create_pool, deploy_uniswap

TOKEN_ABI = artifact("TestToken").abi  # the test ERC-20: mint, and the rest

IN_FLIGHT = 16
USDC, WETH = 10**6, 10**18
AMOUNT = 100 * USDC


async def market(url: str) -> dict[str, Any]:
    """Tokens, Uniswap V3 and a deep pool; accounts 1 (ours) and 2 (web3.py) funded with
    USDC and the router approved without limit, as a treasury does once."""
    accounts = Anvil().accounts
    owner = LocalSigner("0x" + accounts[0].key.hex())
    ours, theirs = (LocalSigner("0x" + a.key.hex()) for a in accounts[1:3])
    async with JsonRpcClient(url) as client:
        eth = EthRpc(client)
        chain_id = await eth.chain_id()
        sender = TxSender(eth, owner, chain_id, poll_interval=0.01)
        usdc = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        weth = await deploy(sender, "TestToken", "Wrapped Ether (test)", "WETH", 18)
        for token, who, amount in (
            (usdc, owner.address, 10**8 * USDC),
            (weth, owner.address, 10**5 * WETH),
            (usdc, ours.address, 10**6 * USDC),
            (usdc, theirs.address, 10**6 * USDC),
        ):
            await sender.send(Contract(token, TOKEN_ABI, eth).functions.mint(who, amount))
        uni = await deploy_uniswap(sender, weth=weth)
        await create_pool(
            sender, uni, weth, usdc, price=2000, amount_a=10**4 * WETH, amount_b=2 * 10**7 * USDC
        )
        for signer in (ours, theirs):
            approving = TxSender(eth, signer, chain_id, poll_interval=0.01)
            erc20 = Contract(usdc, ERC20_ABI, eth)
            await approving.send(erc20.functions.approve(uni.router, 2**256 - 1))
    return {
        "chain_id": chain_id,
        "usdc": usdc,
        "weth": weth,
        "uniswap": uni,
        "ours": ours,
        "theirs": accounts[2],
    }


async def ours(url: str, m: dict[str, Any], count: int) -> float:
    agents = [
        UniswapV3Agent(
            m["usdc"],
            m["weth"],
            AMOUNT,
            max_slippage="0.5",
            uniswap=m["uniswap"],
            chain_id=m["chain_id"],
            name=f"swap-{i}",
        )
        for i in range(count)
    ]
    workflow = AsyncWorkflow(
        agents,
        AsyncWorkflowConfig(max_workers=IN_FLIGHT, auto_store_proofs=False),
        rpc={m["chain_id"]: url},
        signer=m["ours"],
    )
    started = time.perf_counter()
    result = await workflow.run("swaps", chain_id=m["chain_id"])
    elapsed = time.perf_counter() - started
    assert result.ok, result.error
    return count / elapsed


def measure(url: str, count: int, rounds: int) -> dict[str, Any]:
    m = anyio.run(market, url)
    abi_dir = str(files("anyio_workflow.protocols").joinpath("compiled"))
    uni = m["uniswap"]
    mine, theirs = [], []
    for _ in range(rounds):  # interleaved, so that both sides see the same machine
        mine.append(anyio.run(ours, url, m, count))
        base = web3("swaps", url, count, "0x" + m["theirs"].key.hex(), uni.quoter,
                    uni.router, m["usdc"], m["weth"], AMOUNT, abi_dir)  # fmt: skip
        if base:
            theirs.append(base["swaps_per_s"])
    figures: dict[str, Any] = {"swaps": count, "rounds": rounds, "in_flight": IN_FLIGHT,
                               "amount_usdc": 100}  # fmt: skip
    figures["swaps_per_s"] = statistics.median(mine)
    web3py = statistics.median(theirs) if theirs else None
    figures["web3py_sequential_swaps_per_s"] = web3py
    figures["vs_web3py_sequential"] = figures["swaps_per_s"] / web3py if web3py else None
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 swaps")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rpc", help="an already running anvil (default: start one)")
    args = parser.parse_args()
    with anvil_process(args.rpc) as url:
        figures = measure(url, 20 if args.quick else 50, 2 if args.quick else 5)
    figures["goals"] = {"vs_web3py_sequential": [">=", 5]}
    # Not met here (3.9-4.5x full; --quick's 20 swaps at 16 at once are mostly one wave:
    # 1.9x): anvil runs each swap three times (the quote, the estimate, the transaction)
    # and it and our process share 2 cores. The alarm is a regression floor instead.
    figures["alarm_at"] = {"vs_web3py_sequential": [">=", 1.2]}
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"{figures['swaps']} quotes and swaps of 100 USDC on Uniswap V3, on anvil "
        f"(medians of {figures['rounds']} rounds)"
    )
    print(f"  ours, {IN_FLIGHT} at once            {figures['swaps_per_s']:8.1f} swaps/s")
    base = figures["web3py_sequential_swaps_per_s"]
    shown = f"{base:8.1f} swaps/s" if base else "unavailable"
    print(
        f"  web3.py, one after another  {shown}  "
        f"({figures['vs_web3py_sequential'] or 0:.2f}x; goal >= 5)"
    )


if __name__ == "__main__":
    main()
