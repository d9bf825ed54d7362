"""Serve an ASGI app (a devnet, a test endpoint) on a loopback port with hypercorn.

Hypercorn runs under both trio and asyncio; the one that matches the running event loop
is picked, so this module itself stays backend-agnostic.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import sniffio
from hypercorn.config import Config

from ..errors import one_error
from ..rpc.client import JsonRpcClient
from ..rpc.transport import HttpTransport
from .anvil import free_port

__all__ = ["Devnet", "serve_asgi"]


@asynccontextmanager
async def serve_asgi(
    app: Any, *, host: str = "127.0.0.1", port: int | None = None, ready_timeout: float = 10.0
) -> AsyncIterator[str]:
    """Serve ``app`` until the block ends; yields its base URL once it accepts connections.

    Cancellation: stops the server and closes its socket; requests in flight are
    dropped.
    """
    port = port or free_port()
    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("anyio_workflow.devnet.server")
    config.graceful_timeout = 1.0
    serve: Callable[..., Awaitable[None]]
    if sniffio.current_async_library() == "trio":
        from hypercorn.trio import serve as serve_trio

        serve = serve_trio
    else:
        from hypercorn.asyncio import serve as serve_asyncio

        serve = serve_asyncio
    shutdown = anyio.Event()
    failure: Exception | None = None
    with one_error():
        async with anyio.create_task_group() as tg:
            served = partial(serve, _LifespanShim(app), config, shutdown_trigger=shutdown.wait)
            tg.start_soon(partial(served, mode="asgi"))
            try:
                with anyio.fail_after(ready_timeout):
                    while True:
                        try:
                            stream = await anyio.connect_tcp(host, port)
                        except OSError:
                            await anyio.sleep(0.02)
                            continue
                        await stream.aclose()
                        break
                try:
                    yield f"http://{host}:{port}"
                except Exception as exc:
                    # Let the server stop gracefully (a cancelled hypercorn on asyncio
                    # adds an InvalidStateError of its own), then raise the body's error.
                    failure = exc
            finally:
                shutdown.set()
    if failure is not None:
        raise failure


class _LifespanShim:
    """Answers ASGI lifespan events for apps that have no start-up or shutdown work."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


class Devnet:
    """What the embedded devnets share: a JSON-RPC ASGI ``app`` and three ways to reach it.

    Cancellation: cancelling ``serve`` stops the server and closes its socket; requests
    in flight are dropped.
    """

    app: Any
    name: str

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def transport(self, **options: Any) -> HttpTransport:
        """A transport to this devnet in this process (``httpx.ASGITransport``, no socket)."""
        return HttpTransport.asgi(self.app, url=f"http://{self.name}.devnet.local/", **options)

    def client(self, **options: Any) -> JsonRpcClient:
        """A :class:`JsonRpcClient` to this devnet in this process."""
        return JsonRpcClient(self.transport(), **options)

    @asynccontextmanager
    async def serve(self, *, port: int | None = None) -> AsyncIterator[str]:
        """Serve on a loopback port for the block; yields the URL."""
        async with serve_asgi(self.app, port=port) as url:
            yield url
