from __future__ import annotations

from anyio_workflow import AsyncWorkflow
from anyio_workflow.agents import NativeTransferAgent
from anyio_workflow.testing import (
    Payout,
    assert_exactly_once,
    assert_record_complete,
    assert_settled,
    workflow_property,
)


@workflow_property(max_examples=10)
async def test_payroll(env) -> None:
    payouts = [Payout(a.address, 10**15 + i) for i, a in enumerate(env.accounts[1:4])]
    result = await env.run(
        lambda: AsyncWorkflow(
            [NativeTransferAgent(p.to, p.amount) for p in payouts],
            rpc=env.rpc,
            signer=env.signer(),
            journal=env.journal,
        ),
        "payroll",
    )

    assert_settled(result)
    async with env.client() as client:
        if result.ok:
            await assert_exactly_once(result, client, payouts)
        await assert_record_complete(result, client)
