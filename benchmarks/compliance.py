"""Approval checks off chain against the Safe's own on chain.

100 approval checks of a Safe of 3 owners with threshold 2 (each: two owner signatures of
a different transaction, recovered and matched against the owners, duplicates and
strangers refused: ``anyio_workflow.compliance.tally``), timed in-process, against the
same 100 checks done by the deployed Safe 1.4.1 (from its npm bytecode) on anvil through
``eth_call`` of ``checkSignatures``: one after another, and 100 at once (which our client
sends as JSON-RPC batches). ``offchain_vs_onchain`` is the time per check on chain (one
``eth_call`` a check) over the time per check off chain (goal >= 20);
``offchain_vs_onchain_concurrent`` the same against the 100 calls at once. A check off
chain is bounded below by two secp256k1 public-key recoveries (about 40 us each here, in
libsecp256k1 itself).

    python benchmarks/compliance.py            # 100 checks, 5 rounds
    python benchmarks/compliance.py --quick    # 100 checks, 2 rounds
    python benchmarks/compliance.py --json [--rpc URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _node import anvil_process

from anyio_workflow.compliance import Safe, SafeTx, approve, deploy_safe, tally
from anyio_workflow.devnet import Anvil
from anyio_workflow.evm import LocalSigner, TxSender
from anyio_workflow.rpc import EthRpc, JsonRpcClient

CHECKS = 100


async def measure(url: str, rounds: int) -> dict[str, Any]:
    accounts = Anvil().accounts
    owners = [LocalSigner("0x" + a.key.hex()) for a in accounts[1:4]]
    async with JsonRpcClient(url) as client:
        eth = EthRpc(client)
        payer = LocalSigner("0x" + accounts[0].key.hex())
        chain_id = await eth.chain_id()
        sender = TxSender(eth, payer, chain_id, poll_interval=0.01)
        safe = Safe((await deploy_safe(sender, [o.address for o in owners], 2)).safe, eth)
        txs = [SafeTx(safe=safe.address, chain_id=chain_id, to="0x" + f"{i + 1:040x}",
                      value=i, nonce=0) for i in range(CHECKS)]  # fmt: skip
        # Two of three owners sign each: the signing is not timed (it is the owners' work).
        approvals = [[approve(tx, owners[i % 3]), approve(tx, owners[(i + 1) % 3])]
                     for i, tx in enumerate(txs)]  # fmt: skip
        addresses = [o.address for o in owners]
        offchain, sequential, concurrent = [], [], []
        for _ in range(rounds):
            started = time.perf_counter()
            packed = []
            for tx, given in zip(txs, approvals, strict=True):
                result = tally(tx, given, addresses, 2)
                assert result.reached
                packed.append(result.signatures())
            offchain.append((time.perf_counter() - started) / CHECKS)

            started = time.perf_counter()
            for tx, signatures in zip(txs, packed, strict=True):
                await safe.check_signatures(tx, signatures)
            sequential.append((time.perf_counter() - started) / CHECKS)

            started = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for tx, signatures in zip(txs, packed, strict=True):
                    tg.start_soon(safe.check_signatures, tx, signatures)
            concurrent.append((time.perf_counter() - started) / CHECKS)
    off, seq, conc = (statistics.median(v) for v in (offchain, sequential, concurrent))
    return {
        "checks": CHECKS, "rounds": rounds, "owners": 3, "threshold": 2,
        "offchain_us_per_check": off * 1e6,
        "onchain_sequential_us_per_check": seq * 1e6,
        "onchain_concurrent_us_per_check": conc * 1e6,
        "offchain_vs_onchain": seq / off,
        "offchain_vs_onchain_concurrent": conc / off,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rpc", help="an already running anvil (default: start one)")
    args = parser.parse_args()
    with anvil_process(args.rpc) as url:
        figures = anyio.run(measure, url, 2 if args.quick else 5)
    figures["goals"] = {"offchain_vs_onchain": [">=", 20]}
    # Not met on this machine (about 8x): two recoveries cost ~80 us in libsecp256k1 alone
    # and anvil answers an eth_call in ~1 ms. The alarm is a regression floor instead.
    figures["alarm_at"] = {"offchain_vs_onchain": [">=", 4]}
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{CHECKS} approval checks, Safe 1.4.1 with 3 owners and threshold 2, on anvil "
          f"(median of {figures['rounds']} rounds)")  # fmt: skip
    print(f"  off chain (tally: recover and match)   {figures['offchain_us_per_check']:9.1f} us")
    print(f"  on chain, one eth_call after another   "
          f"{figures['onchain_sequential_us_per_check']:9.1f} us "
          f"({figures['offchain_vs_onchain']:.1f}x; goal >= 20)")  # fmt: skip
    print(f"  on chain, 100 eth_calls at once        "
          f"{figures['onchain_concurrent_us_per_check']:9.1f} us "
          f"({figures['offchain_vs_onchain_concurrent']:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
