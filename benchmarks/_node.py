"""A node for the benchmarks: an anvil process that outlives the event loops they start."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator

import httpx

from anyio_workflow.devnet import Anvil, free_port


@contextlib.contextmanager
def anvil_process(rpc: str | None = None, **options: object) -> Iterator[str]:
    """Yield ``rpc`` when given (a node already running), else start anvil for the block."""
    if rpc:
        yield rpc
        return
    port = free_port()
    process = subprocess.Popen(
        Anvil(**options).command(port),  # type: ignore[arg-type]
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        while True:
            try:
                if httpx.post(url, json=body, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
