"""What the test servers (a fake Kubo, a JSON-RPC proxy) share of ASGI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["read_body"]


async def read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    """A request's whole body, from its ``http.request`` messages.

    Cancellation: what was read is dropped with the request."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body
