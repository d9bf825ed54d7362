"""The payouts of ``completeness.py``'s crash scenario, as a workflow file for the
command line (``anyio-workflow run benchmarks/_payouts.py:workflow --key K --journal J``).

Environment: PAYOUT_COUNT (payouts, split between the chains), PAYOUT_ENDPOINTS (JSON:
chain id -> three URLs), PAYOUT_FAULTS (the share of requests failed with a transient
fault by the fault-injecting transport in front of every endpoint)."""

from __future__ import annotations

import json
import os

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, RetryPolicy
from anyio_workflow.agents import NativeTransferAgent
from anyio_workflow.rpc import FallbackTransport, FaultInjectingTransport, HttpTransport


def recipient(i: int) -> str:
    return "0x" + f"{0xBE7000 + i:040x}"


def amount(i: int) -> int:
    return 10**15 + i


def chain_of(i: int, chains: list[int]) -> int:
    return chains[i % len(chains)]


def workflow() -> AsyncWorkflow:
    count = int(os.environ["PAYOUT_COUNT"])
    endpoints = {int(c): urls for c, urls in json.loads(os.environ["PAYOUT_ENDPOINTS"]).items()}
    share = float(os.environ.get("PAYOUT_FAULTS", "0"))
    chains = sorted(endpoints)

    def transport(chain: int):  # type: ignore[no-untyped-def]
        def make() -> FallbackTransport:
            faulty = [
                FaultInjectingTransport(
                    HttpTransport(url), rates={"http_503": share / 2, "drop": share / 2}, seed=n
                )
                for n, url in enumerate(endpoints[chain])
            ]
            return FallbackTransport(faulty, chain_id=chain, cooldown=1.0)

        return make

    agents = [
        NativeTransferAgent(recipient(i), amount(i), chain_id=chain_of(i, chains), name=f"pay{i}")
        for i in range(count)
    ]
    config = AsyncWorkflowConfig(
        max_workers=64, fail_fast=False, auto_store_proofs=False, timeout=600,
        retry=RetryPolicy(attempts=8, base_delay=0.05, max_delay=1.0),
    )  # fmt: skip
    return AsyncWorkflow(agents, config, rpc={c: transport(c) for c in chains})
