"""The seed's best-practice example: mint 100 NFTs in eco mode, with no hand-picked agents.

    python examples/nft_mint.py

``AsyncWorkflow(config=AsyncWorkflowConfig(gas_strategy="eco"))`` has no agents: ``run``
takes the built-in ones registered for ``mint_erc721_batch``. Eco mode waits (within its
deadline) for the base fee to fall to its target before each batch goes out.
"""

from __future__ import annotations

from typing import Any

import anyio
from _common import setup

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig


async def main(count: int = 100) -> dict[str, Any]:
    chain = await setup(137, "polygon", {"nft": ("TestNFT", "Workflow Badges", "WFB")})
    workflow = AsyncWorkflow(
        config=AsyncWorkflowConfig(gas_strategy="eco"),
        rpc={chain.chain_id: chain.devnet.transport},
        signer=chain.treasury,
        erc721=chain.contracts["nft"],
    )
    params = {"count": count}
    result = await workflow.run("mint_erc721_batch", params=params, chain_id=chain.chain_id)
    result.raise_for_status()
    return {"setup": chain, "result": result, "report": result.outcome("mint_erc721_batch").output}


if __name__ == "__main__":
    out = anyio.run(main)
    report = out["report"]
    first, last = report.token_ids[0], report.token_ids[-1]
    print(f"minted tokens {first}..{last} in {len(report.receipts)} transaction(s), eco mode")
    print(f"audit record: {out['result'].audit.cid}")
