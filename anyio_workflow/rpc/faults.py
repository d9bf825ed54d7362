"""Fault injection as a transport wrapper: latency, errors, timeouts and dropped connections.

The faults follow a seeded schedule, so a failing run can be replayed. For each request,
in this order: the schedule of its method (``on={"eth_sendRawTransaction": [None,
"drop_after"]}``: the second broadcast loses its answer), else the explicit ``schedule``
(one entry per request, ``None`` for none), else a draw from ``rates``. ``log`` records
every request's method and the fault it got, so a test can assert that the fault hit the
request it meant. Tests, benchmarks and the reliability work all use it; nothing patches
a function.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import anyio

from ..errors import HttpStatusError, InvalidArgument, RequestTimeout, TransportError
from .transport import JsonObject, Payload, Transport

__all__ = ["FAULT_KINDS", "FaultInjectingTransport", "FaultKind", "inject"]

FaultKind = Literal[
    "rpc_error",  # every call answered with -32603 internal error
    "limit",  # every call answered with -32005 limit exceeded
    "http_429",
    "http_503",
    "timeout",  # hangs for `hang` seconds, then RequestTimeout
    "drop",  # the connection drops before the request reaches the node
    "drop_after",  # the node gets the request, but the answer is lost
    "garbage",  # an answer that is not JSON-RPC
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
_KINDS: frozenset[str] = frozenset(FAULT_KINDS)


def _error_answers(payload: Payload, code: int, message: str) -> Any:
    def answer(request: JsonObject) -> JsonObject:
        error = {"code": code, "message": f"{message} (injected)"}
        return {"jsonrpc": "2.0", "id": request.get("id"), "error": error}

    return [answer(r) for r in payload] if isinstance(payload, list) else answer(payload)


class FaultInjectingTransport(Transport):
    """Wraps ``inner`` and injects faults on a seeded, reproducible schedule.

    :param latency: seconds added to every request, plus up to ``jitter`` more.
    :param rates: the chance of each fault kind per request (they must sum to <= 1).
    :param on: per method, faults for that method's first calls, in order; a method's
        schedule comes before ``schedule`` and ``rates``.
    :param schedule: faults for the first requests, in order, before the rates apply.
    :param hang: how long a ``timeout`` fault hangs before it raises.

    Cancellation: as the wrapped transport's; an injected delay is cancelled with the
    request.
    """

    def __init__(
        self,
        inner: Transport,
        *,
        seed: int = 0,
        latency: float = 0.0,
        jitter: float = 0.0,
        rates: Mapping[FaultKind, float] | None = None,
        schedule: Sequence[FaultKind | None] = (),
        on: Mapping[str, Sequence[FaultKind | None]] | None = None,
        hang: float = 30.0,
    ) -> None:
        rates = dict(rates or {})
        by_method = {method: list(kinds) for method, kinds in (on or {}).items()}
        planned = [*schedule, *(k for kinds in by_method.values() for k in kinds)]
        unknown = (set(rates) | {k for k in planned if k is not None}) - _KINDS
        if unknown:
            raise InvalidArgument(
                f"faults: unknown kinds {sorted(unknown)}; known: {sorted(_KINDS)}"
            )
        if any(r < 0 for r in rates.values()) or sum(rates.values()) > 1:
            raise InvalidArgument("rates: each must be >= 0 and together at most 1")
        if latency < 0 or jitter < 0:
            raise InvalidArgument("latency, jitter: cannot be negative")
        self.inner = inner
        self.endpoint = inner.endpoint
        self.latency = latency
        self.jitter = jitter
        self.rates = rates
        self.hang = hang
        self._schedule = list(schedule)
        self._by_method = by_method
        self._rng = random.Random(seed)
        self.injected: Counter[str] = Counter()
        """How many of each fault kind were injected so far."""
        self.requests = 0
        self.log: list[tuple[str, FaultKind | None]] = []
        """Every request, in order: its method (``"batch"`` for a batch) and its fault."""

    def _draw(self, method: str) -> FaultKind | None:
        planned = self._by_method.get(method)
        if planned:
            return planned.pop(0)
        if self._schedule:
            return self._schedule.pop(0)
        roll = self._rng.random()
        for kind, rate in self.rates.items():
            if roll < rate:
                return kind
            roll -= rate
        return None

    async def send(self, payload: Payload) -> Any:
        self.requests += 1
        method = "batch" if isinstance(payload, list) else str(payload.get("method"))
        fault = self._draw(method)
        self.log.append((method, fault))
        delay = self.latency + (self._rng.uniform(0, self.jitter) if self.jitter else 0.0)
        if fault is not None:
            self.injected[fault] += 1
        if delay:
            await anyio.sleep(delay)
        return await inject(self.inner, payload, fault, hang=self.hang)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def inject(
    inner: Transport, payload: Payload, fault: FaultKind | None, *, hang: float
) -> Any:
    """Send ``payload`` through ``inner`` with ``fault`` (``None``: as it is).

    Cancellation: as ``inner.send``; a ``timeout`` fault's hang is cancelled with it.
    """
    method = "batch" if isinstance(payload, list) else str(payload.get("method"))
    endpoint = inner.endpoint
    if fault is None:
        return await inner.send(payload)
    if fault == "rpc_error":
        return _error_answers(payload, -32603, "internal error")
    if fault == "limit":
        return _error_answers(payload, -32005, "limit exceeded")
    if fault == "garbage":
        return {"hello": "not json-rpc"}
    if fault in ("http_429", "http_503"):
        raise HttpStatusError(int(fault[-3:]), method=method, endpoint=endpoint)
    if fault == "timeout":
        await anyio.sleep(hang)
        raise RequestTimeout("no answer in time (injected)", method=method, endpoint=endpoint)
    if fault == "drop_after":
        await inner.send(payload)
    raise TransportError("connection dropped (injected)", method=method, endpoint=endpoint)
