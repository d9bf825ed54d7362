"""The JSON-RPC 2.0 client: single calls, explicit batches, and coalescing of concurrent calls.

Coalescing (on by default) works as viem's ``batch: { wait }`` does: calls made while
the client is gathering a batch go out together as one JSON-RPC batch, up to
``max_batch_size``. A call made while no other is in flight goes straight out, so that
sequential callers pay nothing for it. A dispatcher task in the client's own task
group gathers the batches, so the client must be used as
``async with JsonRpcClient(...) as client``; nothing it starts outlives that block.

Every answer is validated: not an object, a wrong ``jsonrpc`` version or id, or not
exactly one of ``result`` and ``error``, raises :class:`InvalidResponse`; an error object
raises the class its code maps to (see ``errors.py``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Literal, Self, overload

import anyio

from ..core.retry import RetryPolicy
from ..errors import (
    InvalidArgument,
    InvalidResponse,
    InvalidType,
    RequestTimeout,
    RpcError,
    TransportError,
    UsageError,
    error_from_answer,
    one_error,
)
from .transport import HttpTransport, JsonObject, Payload, Transport, method_of

__all__ = ["DEFAULT_RPC_RETRY", "JsonRpcClient", "Params"]

Params = Sequence[Any] | Mapping[str, Any] | None

DEFAULT_RPC_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=1.0)
"""Transient failures of a whole request (timeouts, dropped connections, 429, 5xx) are
retried this way; errors that the node answered are the caller's to handle."""


class _Batch:
    """Coalesced calls gathering for one request: each caller appends its request and
    waits on the batch's one event; the flush puts each outcome in its caller's place
    (a result, or an exception as a value)."""

    __slots__ = ("done", "outcomes", "requests")

    def __init__(self) -> None:
        self.requests: list[JsonObject] = []
        self.done = anyio.Event()
        self.outcomes: list[Any] = []

    def resolve(self, outcomes: list[Any]) -> None:
        if not self.done.is_set():
            self.outcomes = outcomes
            self.done.set()


class JsonRpcClient:
    """A JSON-RPC 2.0 client over any :class:`Transport`.

    :param target: a URL (an :class:`HttpTransport` is made for it, with
        ``http_options``) or a transport (``FallbackTransport``, an ASGI devnet, ...).
        Leaving the client's ``async with`` block closes the transport, as httpx's
        client closes its own.
    :param coalesce: gather concurrent :meth:`request` calls into batches.
    :param batch_wait: seconds to gather a batch; 0 gathers what is ready in one pass
        of the event loop.
    :param max_batch_size: the largest coalesced batch.
    :param retry: how transient failures of a whole request are retried; ``None`` for
        no retry.
    :param request_timeout: seconds one call (or one coalesced batch) may take in all,
        retries and their waits included; past it, :class:`RequestTimeout`.
    :param max_retry_after: the longest ``Retry-After`` (of an HTTP 429 or 503) the retry
        engine waits; a longer one is waited for this long.
    """

    def __init__(
        self,
        target: str | Transport,
        *,
        coalesce: bool = True,
        batch_wait: float = 0.0,
        max_batch_size: int = 100,
        retry: RetryPolicy | None = DEFAULT_RPC_RETRY,
        request_timeout: float = 30.0,
        max_retry_after: float = 10.0,
        rng: random.Random | None = None,
        **http_options: Any,
    ) -> None:
        if max_batch_size < 1:
            raise InvalidArgument("max_batch_size: must be at least 1")
        if batch_wait < 0:
            raise InvalidArgument("batch_wait: cannot be negative")
        if not request_timeout > 0:
            raise InvalidArgument(f"request_timeout: must be positive, got {request_timeout}")
        if max_retry_after < 0:
            raise InvalidArgument("max_retry_after: cannot be negative")
        self.request_timeout = request_timeout
        self.max_retry_after = max_retry_after
        if isinstance(target, str):
            self.transport: Transport = HttpTransport(target, **http_options)
        elif http_options:
            raise InvalidType(f"{sorted(http_options)}: HTTP options need a URL, not a transport")
        else:
            self.transport = target
        self.coalesce = coalesce
        self.batch_wait = batch_wait
        self.max_batch_size = max_batch_size
        self._retry = retry
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._forming = _Batch()
        self._ready: list[_Batch] = []  # full batches the dispatcher has not sent yet
        self._wake: anyio.Event | None = None  # set when a batch wants the dispatcher
        self._active = 0
        self._stack: AsyncExitStack | None = None

    _open = 0  # clients in this process between __aenter__ and __aexit__

    @classmethod
    def open_count(cls) -> int:
        """How many clients in this process are open (entered and not yet closed): what
        :func:`anyio_workflow.testing.assert_no_leaks` checks."""
        return cls._open

    @property
    def endpoint(self) -> str:
        return self.transport.endpoint

    async def __aenter__(self) -> Self:
        """Cancellation: cancelled while opening, the transport is closed again."""
        if self._stack is not None:
            raise UsageError("this JsonRpcClient is already open")
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self.transport.aclose)
            if self.coalesce:
                group = await stack.enter_async_context(anyio.create_task_group())
                self._wake = anyio.Event()
                stack.callback(self._close_dispatcher)  # before the group is awaited
                group.start_soon(self._dispatch, group)
            self._stack = stack.pop_all()
        JsonRpcClient._open += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            JsonRpcClient._open -= 1
            with one_error():
                await stack.__aexit__(exc_type, exc, tb)

    def _request(self, method: str, params: Params) -> JsonObject:
        if self._stack is None:
            raise UsageError(
                "JsonRpcClient is not open: use `async with JsonRpcClient(...) as client`"
            )
        if params is None:
            params = []
        elif type(params) is not list and not isinstance(params, Mapping):
            params = list(params)
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}

    async def request(self, method: str, params: Params = None) -> Any:
        """Call ``method`` and return its result; raises an :class:`RpcError` subclass.

        Cancellation abandons the wait; the call may still have reached the node.
        """
        request = self._request(method, params)
        # A call with no other in flight goes straight out: coalescing only pays when
        # calls overlap, and a lone call should not wait for a dispatcher.
        wake = self._wake
        self._active += 1
        try:
            if wake is None or self._active == 1:
                return self._parse(await self._send(request), request)
            batch = self._forming
            index = len(batch.requests)
            batch.requests.append(request)
            if index + 1 >= self.max_batch_size:  # full: the next call starts another
                self._ready.append(batch)
                self._forming = _Batch()
                wake.set()
            elif index == 0:
                wake.set()  # the dispatcher gathers from here
            await batch.done.wait()
        finally:
            self._active -= 1
        outcome = batch.outcomes[index]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @overload
    async def batch(
        self, calls: Sequence[tuple[str, Params]], *, return_exceptions: Literal[False] = False
    ) -> list[Any]: ...
    @overload
    async def batch(
        self, calls: Sequence[tuple[str, Params]], *, return_exceptions: Literal[True]
    ) -> list[Any | RpcError]: ...
    async def batch(
        self, calls: Sequence[tuple[str, Params]], *, return_exceptions: bool = False
    ) -> list[Any]:
        """Send ``calls`` as one JSON-RPC batch; results come back in the calls' order.

        The first failed call raises its error, unless ``return_exceptions`` puts each
        error in its call's place instead.

        Cancellation: the whole batch is abandoned; calls that reached the node (a
        ``sendRawTransaction``) stay done.
        """
        requests = [self._request(method, params) for method, params in calls]
        if not requests:
            return []
        payload: Payload = requests if len(requests) > 1 else requests[0]
        outcomes = self._match(await self._send(payload), requests)
        if not return_exceptions:
            for outcome in outcomes:
                if isinstance(outcome, RpcError):
                    raise outcome
        return outcomes

    async def _send(self, payload: Payload) -> Any:
        """Send ``payload``, retrying transient failures, all within ``request_timeout``.

        A transport that bounds each request itself within the deadline (an
        ``HttpTransport`` whose ``timeout`` is shorter) is not given a cancel scope for its
        first attempt: on the hot path that costs more than it adds.
        """
        started = anyio.current_time()
        own = getattr(self.transport, "timeout", None)
        attempt = 1
        try:
            while True:
                left = self.request_timeout - (anyio.current_time() - started)
                try:
                    if attempt == 1 and isinstance(own, int | float) and own <= left:
                        return await self.transport.send(payload)
                    with anyio.fail_after(left):
                        return await self.transport.send(payload)
                except RpcError as exc:
                    delay = self._retry_delay(exc, attempt)
                    left = self.request_timeout - (anyio.current_time() - started)
                    if delay is None or delay >= left:
                        raise
                    await anyio.sleep(delay)
                    attempt += 1
        except TimeoutError:
            raise RequestTimeout(
                f"no answer within request_timeout ({self.request_timeout:g} s, "
                f"{attempt} attempt{'s' if attempt > 1 else ''})",
                method=method_of(payload),
                endpoint=self.endpoint,
            ) from None

    def _retry_delay(self, exc: RpcError, attempt: int) -> float | None:
        """How long to wait before trying again after ``exc``; ``None``: do not."""
        if self._retry is None or not exc.transient or attempt >= self._retry.attempts:
            return None
        delay = self._retry.delay(attempt, self._rng)
        waited = getattr(exc, "retry_after", None)
        if waited is not None:  # the node said how long: at least that, up to the cap
            delay = max(delay, min(waited, self.max_retry_after))
        return delay

    async def _dispatch(self, group: anyio.abc.TaskGroup) -> None:
        while True:
            wake = self._wake
            if wake is None:
                return  # the client closed
            await wake.wait()
            if self._wake is None:
                return
            if self.batch_wait > 0:
                await anyio.sleep(self.batch_wait)
            else:
                await anyio.lowlevel.checkpoint()  # let the calls that are ready join
            # No await from here to the flushes: calls that come now start a new batch,
            # and wake the dispatcher again.
            self._wake = anyio.Event()
            batches, self._ready = self._ready, []
            if self._forming.requests:
                batches.append(self._forming)
                self._forming = _Batch()
            for batch in batches:
                group.start_soon(self._flush, batch)

    def _close_dispatcher(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None:
            wake.set()
        closed = TransportError("the client closed", endpoint=self.endpoint)
        for batch in [*self._ready, self._forming]:  # nobody waits forever
            batch.resolve([closed] * len(batch.requests))
        self._ready, self._forming = [], _Batch()

    async def _flush(self, batch: _Batch) -> None:
        requests = batch.requests
        try:
            batch.resolve(
                self._match(
                    await self._send(requests if len(requests) > 1 else requests[0]), requests
                )
            )
        except Exception as exc:  # every waiter hears of it; the dispatcher lives on
            batch.resolve([exc] * len(requests))
        finally:  # cancelled with the client: nobody waits forever
            closed = TransportError("the client closed", endpoint=self.endpoint)
            batch.resolve([closed] * len(requests))

    def _parse(self, answer: Any, request: JsonObject) -> Any:
        if _plain_result(answer, request["id"]):
            return answer["result"]
        method = request["method"]
        if type(answer) is not dict:
            raise self._invalid("the answer is not a JSON object", method)
        if answer.get("jsonrpc") != "2.0":
            raise self._invalid('the answer lacks "jsonrpc": "2.0"', method)
        if type(answer.get("id")) is not int or answer["id"] != request["id"]:
            raise self._invalid(f"the answer's id is not the request's ({request['id']})", method)
        if ("result" in answer) == ("error" in answer):
            raise self._invalid("the answer must hold exactly one of result and error", method)
        if "error" in answer:
            raise error_from_answer(answer["error"], method=method, endpoint=self.endpoint)
        return answer["result"]

    def _match(self, answers: Any, requests: list[JsonObject]) -> list[Any]:
        """Each request's result, or its error as a value, matched by id."""
        if len(requests) == 1:
            try:
                return [self._parse(answers, requests[0])]
            except RpcError as exc:
                return [exc]
        if type(answers) is not list:
            error = self._invalid("a batch was not answered with a list", "batch")
            return [error] * len(requests)
        # Most nodes answer in order and without errors: check that in one pass.
        if len(answers) == len(requests) and all(
            _plain_result(a, r["id"]) for a, r in zip(answers, requests, strict=True)
        ):
            return [a["result"] for a in answers]
        by_id: dict[int, Any] = {}
        duplicated: set[int] = set()
        for answer in answers:
            key = answer.get("id") if type(answer) is dict else None
            if type(key) is int:
                if key in by_id:
                    duplicated.add(key)
                by_id[key] = answer
        outcomes: list[Any] = []
        for request in requests:
            key = request["id"]
            if key in duplicated:
                outcomes.append(self._invalid(f"two answers have id {key}", request["method"]))
            elif key not in by_id:
                outcomes.append(self._invalid("the batch has no answer to it", request["method"]))
            else:
                try:
                    outcomes.append(self._parse(by_id[key], request))
                except RpcError as exc:
                    outcomes.append(exc)
        return outcomes

    def _invalid(self, message: str, method: str) -> InvalidResponse:
        return InvalidResponse(message, method=method, endpoint=self.endpoint)

    def __repr__(self) -> str:
        return f"<JsonRpcClient {self.endpoint} coalesce={self.coalesce}>"


def _plain_result(answer: Any, request_id: int) -> bool:
    """Whether ``answer`` is a well-formed success answer to the request with that id."""
    return (
        type(answer) is dict
        and type(answer.get("id")) is int
        and answer["id"] == request_id
        and answer.get("jsonrpc") == "2.0"
        and "result" in answer
        and "error" not in answer
    )
