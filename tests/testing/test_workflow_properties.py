"""The library's own payouts under the harness: drawn faults (reorgs and a crash
included) and interleavings, on both devnet engines, checked by every invariant."""

from __future__ import annotations

import pytest

from anyio_workflow import AsyncWorkflowConfig
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


@workflow_property(
    faults=faults(crashes=True, process_crashes=True, max_nth=6).filter(
        lambda schedule: schedule.crashes_a_process
    ),
    interleave=False,  # the run is in the child: no interleaver of this process reaches it
    max_examples=examples(4, ci=12),
)
async def test_the_same_when_the_crash_kills_a_real_process(env: WorkflowEnv) -> None:
    """The payroll in a child process through a loopback proxy that applies the faults,
    SIGKILLed right after its drawn broadcast reached the node, then resumed in this one
    (issue 26: the in-process crash was gentler than a dead process)."""
    await pay_five(env)


@pytest.mark.parametrize("attempt_timeout", [0.004, 0.02, 0.08])
@workflow_property(faults=faults(crashes=True, max_nth=6), max_examples=examples(8, ci=30))
async def test_attempts_cut_off_anywhere_then_a_resume_pay_each_payout_once(
    env: WorkflowEnv, attempt_timeout: float
) -> None:
    """Cancellation at any await of a send (an attempt's timeout: a few milliseconds, so
    it strikes between intent, signature, broadcast and receipt), retried in the same
    process up to six times, then the run resumed by its key with no timeout: each payout
    is paid exactly once (issue 26: a retry signed afresh what its cancelled attempt had
    signed, and a resume paid both)."""
    payouts = [Payout(a.address, 10**15 + i) for i, a in enumerate(env.accounts[1:6])]
    hurried = AsyncWorkflowConfig(retry={"attempts": 6, "base_delay": 0.001, "max_delay": 0.005,
                                         "attempt_timeout": attempt_timeout})  # fmt: skip
    first = await env.payroll(payouts, config=hurried)
    assert_settled(first)
    result = await env.payroll(payouts)  # the same key: it resumes, or finds it done
    assert_settled(result)
    assert result.ok, result.error
    async with env.client() as client:
        view = await read_chain(client)
        await assert_exactly_once(result, client, payouts, view=view,
                                  senders=[env.signer().address])  # fmt: skip
