"""A small JSON-RPC 2.0 server core for the embedded devnets, exposed as an ASGI app.

A devnet registers its methods (plain synchronous functions of the params); this module
reads the HTTP body, answers single calls and batches, and turns exceptions into
JSON-RPC error objects. The synchronous node behind it is reached one call at a time:
either inline under an AnyIO lock (``executor="inline"``), or in a worker thread with
``anyio.to_thread.run_sync`` and a limiter of one (``executor="thread"``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import anyio

from ..errors import InvalidArgument, RpcFault

__all__ = ["Executor", "JsonRpcApp", "Method", "RpcFault"]

Executor = Literal["inline", "thread"]
Method = Callable[[list[Any]], Any]


def _error(id_: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": id_, "error": error}


class JsonRpcApp:
    """An ASGI app that answers JSON-RPC 2.0 POSTs with the registered methods.

    Cancellation: a request cancelled mid-call gets no answer; a method that already
    changed the chain (a transaction added to the pool) keeps that change.
    """

    def __init__(
        self,
        *,
        executor: Executor = "inline",
        classify: Callable[[Exception], RpcFault | None] | None = None,
    ) -> None:
        """``classify`` turns an engine's own exceptions into the error a node would
        answer (``None``: an internal error, -32603)."""
        if executor not in ("inline", "thread"):
            raise InvalidArgument("executor: 'inline' or 'thread'")
        self.executor = executor
        self.classify = classify
        self.methods: dict[str, Method] = {}
        self._lock: anyio.Lock | None = None
        self._loop: object = None
        self._thread_limiter: anyio.CapacityLimiter | None = None

    def method(self, name: str) -> Callable[[Method], Method]:
        def register(func: Method) -> Method:
            self.methods[name] = func
            return func

        return register

    async def _run(self, func: Method, params: list[Any]) -> Any:
        if self.executor == "thread":
            if self._thread_limiter is None:
                self._thread_limiter = anyio.CapacityLimiter(1)
            return await anyio.to_thread.run_sync(func, params, limiter=self._thread_limiter)
        loop = anyio.lowlevel.current_token().native_token
        if self._lock is None or loop is not self._loop:
            # One lock per event loop: a devnet made under trio may serve an asyncio
            # loop in another thread (a Temporal worker's), and a lock is its loop's.
            self._lock, self._loop = anyio.Lock(), loop
        async with self._lock:
            return func(params)

    async def call(self, request: Any) -> dict[str, Any] | None:
        """Answer one request object; ``None`` for a notification (no id)."""
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0":
            return _error(None, -32600, "invalid request")
        id_ = request.get("id")
        method = request.get("method")
        params = request.get("params", [])
        if not isinstance(method, str):
            return _error(id_, -32600, "invalid request: method must be a string")
        if not isinstance(params, list):
            return _error(id_, -32602, "invalid params: expected a list")
        func = self.methods.get(method)
        if func is None:
            return _error(id_, -32601, f"the method {method} does not exist/is not available")
        try:
            result = await self._run(func, params)
        except RpcFault as fault:
            return _error(id_, fault.code, fault.message, fault.data)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            return _error(id_, -32602, f"invalid params: {exc}")
        except Exception as exc:  # a node answers every request, whatever went wrong
            known = self.classify(exc) if self.classify is not None else None
            if known is not None:
                return _error(id_, known.code, known.message, known.data)
            return _error(id_, -32603, f"internal error: {type(exc).__name__}: {exc}")
        if "id" not in request:
            return None
        return {"jsonrpc": "2.0", "id": id_, "result": result}

    async def handle(self, body: bytes) -> Any:
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(None, -32700, "parse error")
        if isinstance(payload, list):
            if not payload:
                return _error(None, -32600, "invalid request: empty batch")
            answers = []
            for request in payload:
                answer = await self.call(request)
                if answer is not None:
                    answers.append(answer)
            return answers
        return await self.call(payload)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        if scope["method"] != "POST":
            status, body = 405, b'{"error": "POST JSON-RPC requests here"}'
        else:
            status, body = 200, json.dumps(await self.handle(b"".join(chunks))).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
