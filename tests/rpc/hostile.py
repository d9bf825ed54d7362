"""A hostile JSON-RPC server on loopback, written against raw sockets: it drips its headers
or its body a byte at a time, answers forever, answers 200 MB, asks for a pause, or
answers HTML. Every loop it runs is bounded in bytes and time, and stops on its own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketAttribute, SocketStream

OK = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x1"}).encode()


@dataclass
class Hostile:
    mode: str
    retry_after: str = "1"
    requests: int = 0
    sent: int = 0
    """Bytes of body the server wrote in all."""
    times: list[float] = field(default_factory=list)

    async def handle(self, stream: SocketStream) -> None:
        async with stream:
            try:
                await self._read_request(stream)
                self.requests += 1
                self.times.append(anyio.current_time())
                await getattr(self, self.mode)(stream)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                pass  # the client hung up, as it should

    async def _read_request(self, stream: SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )  # fmt: skip
        while len(body) < length:
            body += await stream.receive()

    async def drip_headers(self, stream: SocketStream) -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        with anyio.move_on_after(30):  # bounded: the client should leave long before
            for i in range(len(head)):
                await stream.send(head[i : i + 1])
                await anyio.sleep(0.2)

    async def drip_body(self, stream: SocketStream) -> None:
        await stream.send(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(OK))
        with anyio.move_on_after(30):
            for i in range(len(OK)):
                await stream.send(OK[i : i + 1])
                self.sent += 1
                await anyio.sleep(0.2)

    async def endless(self, stream: SocketStream) -> None:
        await stream.send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        await stream.send(b'7\r\n{"a": "\r\n')
        chunk = b"x" * 65536
        with anyio.move_on_after(30):
            while self.sent < 1024 * 1024 * 1024:  # 1 GiB at most
                await stream.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.sent += len(chunk)

    async def huge(self, stream: SocketStream) -> None:
        size = 200 * 1024 * 1024
        await stream.send(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
        chunk = b"1" * 65536
        with anyio.move_on_after(30):
            while self.sent < size:
                await stream.send(chunk)
                self.sent += len(chunk)

    async def too_many(self, stream: SocketStream) -> None:
        await stream.send(
            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: %s\r\ncontent-length: 0\r\n\r\n"
            % self.retry_after.encode()
        )

    async def html(self, stream: SocketStream) -> None:
        page = b"<html><body>502 Bad Gateway</body></html>"
        await stream.send(
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/html\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(page), page)
        )

    async def wrong_types(self, stream: SocketStream) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + "f" * 300}).encode()
        await stream.send(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))


@asynccontextmanager
async def hostile(mode: str, **options: str) -> AsyncIterator[tuple[str, Hostile]]:
    """Serve one hostile behaviour on a free loopback port for the block."""
    server = Hostile(mode, **options)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.handle)
        try:
            yield f"http://127.0.0.1:{port}/", server
        finally:
            tg.cancel_scope.cancel()
