"""A local server process on a free loopback port, as an async context manager: started,
waited for until it answers, stopped (terminate, then kill) however the block ends.
:class:`~anyio_workflow.devnet.Anvil` and the Temporal dev server are two."""

from __future__ import annotations

import socket
import subprocess
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

import anyio
import httpx
from anyio.abc import Process

from ..errors import DevnetError, UsageError

__all__ = ["LocalServer", "free_port", "stop_process"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def stop_process(process: Process, *, grace: float = 5.0) -> None:
    """Terminate ``process``, kill it if it is still there after ``grace`` seconds, and
    wait for it, shielded: this is cleanup.

    Cancellation: shielded: the process is gone when it returns or raises."""
    with anyio.CancelScope(shield=True):
        if process.returncode is None:
            process.terminate()
            with anyio.move_on_after(grace):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()
        await process.aclose()


class LocalServer(ABC):
    """A server process of ours on a free loopback port.

    Subclasses say how to start it (:meth:`command`) and how to ask whether it is ready
    (:meth:`probe`). Leaving the block stops it, also on cancellation.

    Cancellation: cancelled while starting, the process is stopped before the
    cancellation propagates; leaving the block (cancelled or not) stops it, shielded.
    """

    name = "server"

    def __init__(self, *, startup_timeout: float = 20.0) -> None:
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self._process: Process | None = None

    @abstractmethod
    def command(self, port: int) -> list[str]:
        """The command line that serves on ``port``."""

    @abstractmethod
    async def probe(self, client: httpx.AsyncClient) -> bool:
        """Whether the server answers as ready (an ``httpx.HTTPError`` counts as not).

        Cancellation: a request; cancelled, nothing changed."""

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (to watch its CPU, say)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def __aenter__(self) -> Self:
        """Cancellation: cancelled while starting, the process is killed before the
        cancellation propagates."""
        if self._process is not None:
            raise UsageError(f"this {type(self).__name__} is already running")
        for _ in range(3):  # another process may take the free port first: try another
            port = free_port()
            self._process = await anyio.open_process(
                self.command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.port = port
            try:
                await self._wait_ready()
                return self
            except DevnetError:
                await self.stop()
            except BaseException:
                await self.stop()
                raise
        raise DevnetError(f"{self.name} did not start on any of three free ports")

    async def _wait_ready(self) -> None:
        assert self._process is not None
        async with httpx.AsyncClient(timeout=1.0) as client:
            with anyio.fail_after(self.startup_timeout):
                while True:
                    if self._process.returncode is not None:
                        code = self._process.returncode
                        raise DevnetError(f"{self.name} exited with code {code}")
                    try:
                        if await self.probe(client):
                            return
                    except httpx.HTTPError:
                        pass
                    await anyio.sleep(0.05)

    async def stop(self) -> None:
        """Stop the process and wait for it, shielded: this is cleanup.

        Cancellation: the stop is shielded: the process is gone when it returns or
        raises.
        """
        process, self._process = self._process, None
        if process is not None:
            await stop_process(process)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
