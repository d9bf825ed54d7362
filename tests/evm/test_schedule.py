"""Gas-aware scheduling: a full SendQueue admits waiting transactions by urgency."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anyio_workflow.evm import SendQueue
from anyio_workflow.evm.schedule import URGENCY

from ..budget import examples

STRATEGIES = ["fast", "optimal", "custom", "eco"]


async def admitted_order(requests: list[tuple[str, int | None]], slots: int) -> list[int]:
    """Fill the queue, line ``requests`` up behind it in this order, then free the slots;
    the indexes of ``requests`` in the order they got in."""
    queue = SendQueue(slots)
    order: list[int] = []
    release = anyio.Event()

    async def holder(started: anyio.Event) -> None:
        async with queue.slot("fast"):
            started.set()
            await release.wait()

    async def waiter(index: int, strategy: str, deadline: int | None) -> None:
        async with queue.slot(strategy, deadline):
            order.append(index)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        for _ in range(slots):
            started = anyio.Event()
            tg.start_soon(holder, started)
            await started.wait()
        for index, (strategy, deadline) in enumerate(requests):
            tg.start_soon(waiter, index, strategy, deadline)
            while queue.waiting <= index:
                await anyio.lowlevel.checkpoint()
        release.set()
    assert queue.busy == 0 and queue.waiting == 0
    assert sorted(order) == list(range(len(requests)))
    # The order of admission (the woken tasks may then run in any order).
    return [arrival - slots for _, _, arrival in queue.admitted[slots:]]


async def test_fast_goes_before_optimal_before_eco() -> None:
    order = await admitted_order([("eco", None), ("optimal", None), ("fast", None)], 1)
    assert order == [2, 1, 0]


@settings(max_examples=examples(25), deadline=None)
@given(
    requests=st.lists(
        st.tuples(st.sampled_from(STRATEGIES), st.one_of(st.none(), st.integers(0, 5))),
        max_size=12,
    ),
    slots=st.integers(1, 3),
)
async def test_admission_is_by_urgency_then_deadline_then_arrival(
    requests: list[tuple[str, int | None]], slots: int
) -> None:
    order = await admitted_order(list(requests), slots)

    def key(i: int) -> tuple[int, float, int]:
        strategy, deadline = requests[i]
        return (URGENCY[strategy], float("inf") if deadline is None else deadline, i)

    assert order == sorted(range(len(requests)), key=key)


async def test_a_cancelled_waiter_gives_up_its_place_and_leaks_no_slot() -> None:
    queue = SendQueue(1)
    async with queue.slot():
        with anyio.move_on_after(0.05) as scope:
            async with queue.slot("fast"):
                pytest.fail("admitted while the only slot was taken")
        assert scope.cancelled_caught
        assert queue.waiting == 0
    assert queue.busy == 0
    async with queue.slot("eco"):
        assert queue.busy == 1


def test_a_queue_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="slots: must be at least 1"):
        SendQueue(0)
