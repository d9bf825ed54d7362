"""``FallbackTransport``: one logical endpoint over several nodes, leaving a failing one fast.

- **Failover.** A transient failure (timeout, dropped connection, HTTP 429/5xx, a
  malformed answer, or an answer whose every call is a transient error such as -32005)
  moves the request to the next endpoint at once.
- **Stall timeout.** When an endpoint has not answered within ``stall_timeout``, the next
  one starts in parallel (as ethers' FallbackProvider does); the first answer wins and
  the others are cancelled. Every request also has a hard ``request_timeout``.
- **Ranking.** Each endpoint keeps a latency EWMA and an error-rate EWMA; endpoints are
  tried best score first, ``latency * (1 + 4 * error_rate)`` (as viem's ``rank`` does,
  but from the live traffic rather than from pings). An endpoint not measured yet is
  scored as the fastest measured one, so that a backup gets its chance.
- **Circuit breaker.** ``failure_threshold`` failures in a row open an endpoint's circuit
  for ``cooldown`` seconds; it is skipped until then, unless every endpoint is open.
- **Chain guard.** Before its first request, each endpoint is asked ``eth_chainId``. One
  that serves another chain than ``chain_id`` (or, without it, than the first endpoint
  that answered) is refused for good, and no request is ever sent to it.

Re-sending is safe for reads and for ``eth_sendRawTransaction``, whose signed bytes are
idempotent; the EVM helpers treat "already known" for the same hash as success.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio

from ..errors import (
    EndpointsExhausted,
    InvalidArgument,
    InvalidResponse,
    RequestTimeout,
    RpcError,
    WrongChainError,
    error_from_answer,
)
from .transport import HttpTransport, Payload, Transport, method_of

__all__ = ["EndpointHealth", "FallbackTransport"]

logger = logging.getLogger("anyio_workflow.rpc")


@dataclass
class EndpointHealth:
    """What the fallback knows of one endpoint."""

    endpoint: str
    latency: float | None = None
    """Exponentially weighted moving average of answer times, in seconds."""
    error_rate: float = 0.0
    """Exponentially weighted moving average of failures (0 to 1)."""
    requests: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    open_until: float = 0.0
    """The circuit is open (the endpoint skipped) until this time on the event loop's clock."""
    chain_id: int | None = None
    refused: WrongChainError | None = None


class _Endpoint:
    __slots__ = ("health", "lock", "transport")

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.health = EndpointHealth(transport.endpoint)
        self.lock = anyio.Lock()


class FallbackTransport(Transport):
    """Sends each request to the best endpoint that works; see the module docstring.

    :param endpoints: URLs (each gets an :class:`HttpTransport` with ``http_options``) or
        transports, primary first.
    :param chain_id: the chain every endpoint must serve; ``None`` learns it from the
        first endpoint that answers. ``verify_chain=False`` skips the check (Solana).

    Cancellation: a cancelled ``send`` cancels the attempts in flight on every endpoint
    and records nothing against them; ``aclose`` closes every endpoint's transport,
    shielded.
    """

    def __init__(
        self,
        endpoints: Sequence[str | Transport],
        *,
        chain_id: int | None = None,
        verify_chain: bool = True,
        request_timeout: float = 10.0,
        stall_timeout: float = 0.5,
        failure_threshold: int = 3,
        cooldown: float = 30.0,
        alpha: float = 0.3,
        **http_options: Any,
    ) -> None:
        if not endpoints:
            raise InvalidArgument("endpoints: give at least one URL or transport")
        if not 0 < alpha <= 1:
            raise InvalidArgument("alpha: must be in (0, 1]")
        if failure_threshold < 1:
            raise InvalidArgument("failure_threshold: must be at least 1")
        self._endpoints = [
            _Endpoint(HttpTransport(e, **http_options) if isinstance(e, str) else e)
            for e in endpoints
        ]
        self.endpoint = "fallback(" + ", ".join(e.health.endpoint for e in self._endpoints) + ")"
        self.chain_id = chain_id
        self.verify_chain = verify_chain
        self.request_timeout = request_timeout
        self.stall_timeout = stall_timeout
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.alpha = alpha

    def health(self) -> list[EndpointHealth]:
        """Each endpoint's health, in the order given."""
        return [e.health for e in self._endpoints]

    def ranked(self) -> list[str]:
        """The endpoints (redacted) in the order the next request would try them."""
        return [e.health.endpoint for e in self._ranked()]

    def _ranked(self) -> list[_Endpoint]:
        usable = [e for e in self._endpoints if e.health.refused is None]
        if not usable:
            return []
        now = anyio.current_time()
        closed = [e for e in usable if e.health.open_until <= now]
        if not closed:  # every circuit is open: try the one that reopens first
            closed = [min(usable, key=lambda e: e.health.open_until)]
        measured = [e.health.latency for e in closed if e.health.latency is not None]
        prior = min(measured) if measured else 0.0

        def score(e: _Endpoint) -> float:
            h = e.health
            return (h.latency if h.latency is not None else prior) * (1 + 4 * h.error_rate)

        return sorted(closed, key=score)  # sorted() is stable: ties keep the given order

    async def send(self, payload: Payload) -> Any:
        candidates = self._ranked()
        if not candidates:
            refusals = [e.health.refused for e in self._endpoints if e.health.refused]
            raise refusals[0] if refusals else EndpointsExhausted([], method=method_of(payload))
        answers: list[Any] = []
        errors: list[RpcError] = []
        async with anyio.create_task_group() as tg:
            for index, endpoint in enumerate(candidates):
                failed = anyio.Event()
                tg.start_soon(self._attempt, endpoint, payload, answers, errors, failed, tg)
                if index + 1 < len(candidates):
                    with anyio.move_on_after(self.stall_timeout):
                        await failed.wait()
        if answers:
            return answers[0]
        if errors and all(isinstance(e, WrongChainError) for e in errors):
            raise errors[0]
        raise EndpointsExhausted(errors, method=method_of(payload))

    async def _attempt(
        self,
        endpoint: _Endpoint,
        payload: Payload,
        answers: list[Any],
        errors: list[RpcError],
        failed: anyio.Event,
        tg: anyio.abc.TaskGroup,
    ) -> None:
        health = endpoint.health
        started = anyio.current_time()
        try:
            if self.verify_chain:
                await self._verify_chain(endpoint)
            with anyio.fail_after(self.request_timeout):
                answer = await endpoint.transport.send(payload)
            _raise_if_all_transient(answer, endpoint.transport.endpoint, payload)
        except anyio.get_cancelled_exc_class():
            # Lost the race: its time so far is a lower bound of its latency.
            if anyio.current_time() - started >= self.stall_timeout:
                self._observe(health, anyio.current_time() - started)
            raise
        except (RpcError, TimeoutError) as exc:
            error = (
                exc
                if isinstance(exc, RpcError)
                else RequestTimeout(
                    f"no answer in {self.request_timeout} s",
                    method=method_of(payload),
                    endpoint=health.endpoint,
                )
            )
            if not isinstance(error, WrongChainError):
                self._failed(health)
            waited = getattr(error, "retry_after", None)
            if waited:  # the endpoint asked for a pause: the others serve meanwhile
                health.open_until = max(health.open_until, anyio.current_time() + waited)
            logger.info(
                "%s failed: %s; trying the next endpoint", health.endpoint, error.short_message
            )
            errors.append(error)
            failed.set()
            return
        self._succeeded(health, anyio.current_time() - started)
        if not answers:
            answers.append(answer)
            tg.cancel_scope.cancel()

    async def _verify_chain(self, endpoint: _Endpoint) -> None:
        health = endpoint.health
        if health.refused is not None:
            raise health.refused
        if health.chain_id is not None:
            return
        async with endpoint.lock:
            if health.chain_id is not None or health.refused is not None:
                return await self._verify_chain(endpoint)
            request = {"jsonrpc": "2.0", "id": 0, "method": "eth_chainId", "params": []}
            with anyio.fail_after(self.request_timeout):
                answer = await endpoint.transport.send(request)
            result = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(result, str) or not result.startswith("0x"):
                if isinstance(answer, dict) and "error" in answer:
                    raise error_from_answer(
                        answer["error"], method="eth_chainId", endpoint=health.endpoint
                    )
                raise InvalidResponse(
                    "eth_chainId did not answer a hex quantity",
                    method="eth_chainId",
                    endpoint=health.endpoint,
                )
            actual = int(result, 16)
            if self.chain_id is None:
                self.chain_id = actual
            if actual != self.chain_id:
                health.refused = WrongChainError(health.endpoint, self.chain_id, actual)
                logger.warning("%s", health.refused)
                raise health.refused
            health.chain_id = actual

    def _observe(self, health: EndpointHealth, seconds: float) -> None:
        a = self.alpha
        health.latency = (
            seconds if health.latency is None else a * seconds + (1 - a) * health.latency
        )

    def _succeeded(self, health: EndpointHealth, seconds: float) -> None:
        health.requests += 1
        health.consecutive_failures = 0
        health.error_rate *= 1 - self.alpha
        self._observe(health, seconds)

    def _failed(self, health: EndpointHealth) -> None:
        health.requests += 1
        health.failures += 1
        health.consecutive_failures += 1
        health.error_rate = self.alpha + (1 - self.alpha) * health.error_rate
        if health.consecutive_failures >= self.failure_threshold:
            health.open_until = anyio.current_time() + self.cooldown
            logger.warning(
                "%s: %d failures in a row, skipped for %.0f s",
                health.endpoint,
                health.consecutive_failures,
                self.cooldown,
            )

    async def aclose(self) -> None:
        for endpoint in self._endpoints:
            await endpoint.transport.aclose()


def _raise_if_all_transient(answer: Any, endpoint: str, payload: Payload) -> None:
    """An answer whose every call failed transiently (-32005, ...) counts as a failure."""
    items = answer if isinstance(answer, list) else [answer]
    errors = [
        error_from_answer(item["error"], method=method_of(payload), endpoint=endpoint)
        for item in items
        if isinstance(item, dict) and "error" in item
    ]
    if items and len(errors) == len(items) and all(e.transient for e in errors):
        raise errors[0]
