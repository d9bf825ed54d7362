"""The library's own payouts under the harness: drawn faults (reorgs and a crash
included) and interleavings, on both devnet engines, checked by every invariant."""

from __future__ import annotations

from anyio_workflow.testing import (
    Payout,
    WorkflowEnv,
    assert_exactly_once,
    assert_record_complete,
    assert_settled,
    faults,
    read_chain,
    workflow_property,
)

from ..budget import examples


async def pay_five(env: WorkflowEnv) -> None:
    payouts = [Payout(a.address, 10**15 + i) for i, a in enumerate(env.accounts[1:6])]
    result = await env.payroll(payouts)
    assert_settled(result)
    async with env.client() as client:
        view = await read_chain(client)
        await assert_exactly_once(result, client, payouts, view=view,
                                  senders=[env.signer().address])  # fmt: skip
        await assert_record_complete(result, client, view=view)


@workflow_property(faults=faults(reorgs=True, crashes=True, max_nth=6),
                   max_examples=examples(40, ci=150))  # fmt: skip
async def test_payouts_are_exactly_once_under_faults_reorgs_and_a_crash(env: WorkflowEnv) -> None:
    await pay_five(env)


@workflow_property(backends=("py-evm",), faults=faults(crashes=True, max_nth=6),
                   max_examples=examples(10, ci=30))  # fmt: skip
async def test_the_same_on_the_py_evm_devnet(env: WorkflowEnv) -> None:
    await pay_five(env)


@workflow_property(backends=("anvil",), faults=faults(crashes=True, max_nth=6),
                   max_examples=examples(4, ci=10))  # fmt: skip
async def test_the_same_on_anvil(env: WorkflowEnv) -> None:
    await pay_five(env)
