"""The transport seam: how a JSON-RPC payload reaches a node and its answer comes back.

Every layer above talks to :class:`Transport`, never to httpx. Implementations:

- :class:`HttpTransport`: JSON over HTTP with a shared, pooled ``httpx.AsyncClient``;
  given an ASGI app instead of a URL (:meth:`HttpTransport.asgi`), the same code reaches an
  in-process node through ``httpx.ASGITransport``, with no socket;
- ``FaultInjectingTransport`` (``faults.py``) wraps any transport with seeded faults;
- ``FallbackTransport`` (``fallback.py``) spreads calls over several transports.

A transport takes one request object or a list of them (a batch) and returns the decoded
JSON answer. It adapts batches to what the endpoint accepts: when a batch is refused
(an error object instead of a list, or HTTP 413) or capped (fewer answers than
requests), it lowers that endpoint's batch size, down to single calls, and sends again
what was not answered. The client validates the answers themselves.
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from ..errors import (
    HttpStatusError,
    InvalidArgument,
    InvalidResponse,
    RequestTimeout,
    ResponseTooLarge,
    RpcError,
    TransportError,
    error_from_answer,
)
from .limits import TokenBucket
from .redact import install_log_redaction, redact_headers, redact_url

__all__ = ["HttpTransport", "JsonObject", "Payload", "Transport", "check_url"]

logger = logging.getLogger("anyio_workflow.rpc")
install_log_redaction("anyio_workflow")  # httpx logs every request's full URL at INFO

JsonObject = dict[str, Any]
Payload = JsonObject | list[JsonObject]

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def method_of(payload: Payload) -> str:
    """A short name of what ``payload`` asks, for errors and logs."""
    if isinstance(payload, list):
        return f"batch of {len(payload)}"
    return str(payload.get("method"))


class Transport(ABC):
    """Carries JSON-RPC payloads to one node (or, for wrappers, to several).

    Cancellation: a cancelled ``send`` abandons the request (the node may still have
    received it); ``aclose`` releases the connections.
    """

    endpoint: str
    """Where the payloads go, redacted: safe for logs and errors."""

    @abstractmethod
    async def send(self, payload: Payload) -> Any:
        """Send one request object or a batch; return the decoded JSON answer.

        Raises :class:`RpcError` subclasses only. Cancellation abandons the request: it
        may or may not have reached the node.
        """

    async def aclose(self) -> None:  # noqa: B027  (optional hook: most wrappers hold nothing)
        """Release connections; the default has none."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.endpoint}>"


def check_url(url: object, field: str = "url") -> str:
    """``url`` when it is an ``http://`` or ``https://`` URL with a host; otherwise
    :class:`InvalidArgument` naming ``field`` (at construction: an ``ftp://`` endpoint
    used to fail only at run time, after three attempts). Credentials are not shown."""
    if not isinstance(url, str):
        raise InvalidArgument(f"{field}: a URL (http:// or https://), not {type(url).__name__}")
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rpartition("@")[2]
    if scheme.lower() not in ("http", "https") or not host:
        raise InvalidArgument(
            f"{field}: {redact_url(url)!r} is not an http:// or https:// URL with a host "
            "(JSON-RPC endpoints here are HTTP; a WebSocket or other scheme is not served)"
        )
    return url


class HttpTransport(Transport):
    """JSON-RPC over HTTP POST, through one pooled ``httpx.AsyncClient``.

    :param url: the endpoint; credentials in it are kept out of every repr and error.
    :param max_connections: the pool's size. As many requests as this are in flight at
        once, at most: more would wait inside httpx's pool, whose bookkeeping grows with
        its waiters, so they wait here instead, on an AnyIO ``CapacityLimiter``.
    :param rate_limit: requests per second, at most (a token bucket), or ``None``.
    :param timeout: seconds for each HTTP request, all of it: connecting, sending, the
        headers and the whole body, however slowly the node drips them; past it,
        :class:`RequestTimeout`.
    :param max_response_bytes: the largest answer read (32 MiB by default); reading stops
        at the limit with :class:`ResponseTooLarge`, so an endless or huge answer costs no
        more memory than that.
    :param max_batch_size: the largest batch sent in one request at first; lowered when
        the endpoint refuses or caps batches.

    Cancellation: a cancelled ``send`` or ``post`` closes its connection and abandons
    the request (the node may still have received it).
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        max_response_bytes: int = 32 * 1024 * 1024,
        max_connections: int = 8,
        rate_limit: float | None = None,
        max_batch_size: int = 1000,
        http2: bool = False,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if max_connections < 1:
            raise InvalidArgument("max_connections: must be at least 1")
        if max_batch_size < 1:
            raise InvalidArgument("max_batch_size: must be at least 1")
        if not timeout > 0:
            raise InvalidArgument(f"timeout: must be positive, got {timeout}")
        if max_response_bytes < 1:
            raise InvalidArgument("max_response_bytes: must be at least 1")
        check_url(url)
        self.endpoint = redact_url(url)
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._url = url
        self._headers = {"content-type": "application/json", **(headers or {})}
        self.max_batch_size = max_batch_size
        self._limiter = anyio.CapacityLimiter(max_connections)
        self._bucket = TokenBucket(rate_limit) if rate_limit is not None else None
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        # Headers live on the client: merging them into every request costs time.
        self._client = httpx.AsyncClient(
            headers=self._headers,
            timeout=timeout,
            limits=limits,
            http2=http2,
            verify=_default_ssl_context() if verify is True else verify,
            transport=transport,
        )

    @classmethod
    def asgi(cls, app: Any, *, url: str = "http://devnet.local/", **options: Any) -> HttpTransport:
        """A transport to an ASGI app in this process (the embedded devnet): no socket."""
        return cls(url, transport=httpx.ASGITransport(app=app), **options)

    @property
    def headers(self) -> dict[str, str]:
        """The request headers, with credentials masked."""
        return redact_headers(self._headers)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, payload: Payload) -> Any:
        """One HTTP request: ``payload`` out, decoded JSON back."""
        body = _dumps(payload).encode()
        # acquire_nowait first: when a connection is free, this costs no trip through the
        # event loop (the POST itself checkpoints).
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self._limiter.acquire()
        method = method_of(payload)
        try:
            if self._bucket is not None:
                await self._bucket.acquire()
            request = self._client.build_request("POST", self._url, content=body)
            request.stream = _Body(body)
            with anyio.fail_after(self.timeout):
                response = await self._client.send(request, stream=True)
                try:
                    if response.status_code != 200:
                        raise HttpStatusError(
                            response.status_code,
                            method=method,
                            endpoint=self.endpoint,
                            retry_after=retry_after(response.headers.get("retry-after")),
                        )
                    content = await self._read(response, method)
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await response.aclose()
                    raise
                # A body read to its end has closed its response already.
        except TimeoutError:
            raise RequestTimeout(
                f"no whole answer within {self.timeout:g} s", method=method, endpoint=self.endpoint
            ) from None
        except httpx.TimeoutException as exc:
            raise RequestTimeout(
                "no answer in time", method=method, endpoint=self.endpoint
            ) from _scrubbed(exc)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"connection failed: {type(exc).__name__}", method=method, endpoint=self.endpoint
            ) from _scrubbed(exc)
        finally:
            self._limiter.release()
        try:
            return json.loads(content)
        except ValueError as exc:
            raise InvalidResponse(
                "the answer is not JSON", method=method, endpoint=self.endpoint
            ) from exc

    async def _read(self, response: httpx.Response, method: str) -> bytes:
        """The body, read up to ``max_response_bytes`` and no further."""
        limit = self.max_response_bytes
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) <= limit:
            return await response.aread()  # the usual case: a node says how long
        if length is not None and length.isdigit():
            raise self._too_large(method, f"its Content-Length is {int(length):,} bytes")
        # No length (a chunked answer): read, and watch what has come. Past the limit the
        # read is cancelled, so that httpx's nested stream generators end by the
        # cancellation running through them (breaking out of them would leave them to
        # the garbage collector, which trio rightly warns about). The watch looks every
        # 5 ms: what arrives meanwhile is the most the limit can be overshot by.
        with anyio.CancelScope() as reading:

            async def watch() -> None:
                while response.num_bytes_downloaded <= limit:  # noqa: ASYNC110  (bytes, not an event)
                    await anyio.sleep(0.005)
                reading.cancel()

            async with anyio.create_task_group() as tg:
                tg.start_soon(watch)
                content = await response.aread()
                tg.cancel_scope.cancel()
        if reading.cancelled_caught or len(content) > limit:
            raise self._too_large(method, f"more than {limit:,} bytes came")
        return content

    def _too_large(self, method: str, why: str) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"the answer is larger than max_response_bytes ({self.max_response_bytes:,}): {why}",
            method=method,
            endpoint=self.endpoint,
        )

    async def send(self, payload: Payload) -> Any:
        if isinstance(payload, list) and len(payload) > 1:
            return await self._send_batch(payload)
        return await self.post(payload)

    async def _send_batch(self, requests: list[JsonObject]) -> list[Any]:
        answers: list[Any] = []
        pending = requests
        while pending:
            chunk, pending = pending[: self.max_batch_size], pending[self.max_batch_size :]
            if len(chunk) == 1:
                answers.append(await self.post(chunk[0]))
                continue
            try:
                body = await self.post(chunk)
            except HttpStatusError as exc:
                if exc.status != 413:
                    raise
                self._lower_batch_size(len(chunk) // 2, "HTTP 413")
                pending = chunk + pending
                continue
            if isinstance(body, dict):
                error = error_from_answer(
                    body.get("error"), method=method_of(chunk), endpoint=self.endpoint
                )
                if error.transient:
                    raise error  # rate limited or failing as a whole: not a refusal of batches
                # A batch answered with one error object: this endpoint refuses batches.
                self._lower_batch_size(1, "batch refused")
                pending = chunk + pending
                continue
            if not isinstance(body, list):
                raise InvalidResponse(
                    "a batch was answered with neither a list nor an object",
                    method=method_of(chunk),
                    endpoint=self.endpoint,
                )
            answers.extend(body)
            if len(body) >= len(chunk):
                continue  # every request has an answer, or the client will say which not
            answered = {a.get("id") for a in body if isinstance(a, dict)}
            missing = [r for r in chunk if r["id"] not in answered]
            if missing:
                if len(missing) == len(chunk):
                    raise InvalidResponse(
                        "no answer in the batch matches a request",
                        method=method_of(chunk),
                        endpoint=self.endpoint,
                    )
                # A truncated answer list: the endpoint caps batches at what it answered.
                self._lower_batch_size(len(chunk) - len(missing), "batch capped")
                pending = missing + pending
        return answers

    def _lower_batch_size(self, size: int, why: str) -> None:
        size = max(1, size)
        if size < self.max_batch_size:
            logger.info(
                "%s: %s, batch size %d -> %d", self.endpoint, why, self.max_batch_size, size
            )
            self.max_batch_size = size


class _Body(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A request body whose async iterator is an object, not an async generator.

    httpx's own ``ByteStream.__aiter__`` is an async generator; when a request is
    cancelled mid-send (a fallback race, a deadline), the half-run generator is collected
    later and trio warns about it (encode/httpx#3686). An iterator object has nothing to
    finalize.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self._data

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Once(self._data)


class _Once:
    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> bytes:
        if self._data is None:
            raise StopAsyncIteration
        data, self._data = self._data, None
        return data


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every transport: building one costs ~80 ms."""
    return httpx.create_ssl_context()


def retry_after(header: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds, or an HTTP date (RFC 9110 10.2.3);
    ``None`` when absent or unreadable."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return int(text) * 1.0  # seconds (a wait, not an amount)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _scrubbed(exc: httpx.HTTPError) -> RpcError:
    """httpx's errors name the request URL; keep their kind, never their text."""
    return RpcError(type(exc).__name__)
