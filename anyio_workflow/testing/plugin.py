"""The pytest plugin (registered as ``anyio_workflow`` through the ``pytest11`` entry point).

Fixtures for users' own tests, under whichever AnyIO backend the test runs on:

- ``anvil``: a fresh anvil node on a free loopback port (needs the anvil binary: the
  project's ``npm ci``, ``ANVIL_BIN`` or an ``anvil`` on ``PATH``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ..devnet.anvil import Anvil


@pytest.fixture
async def anvil() -> AsyncIterator[Anvil]:
    """A fresh anvil (chain id 31337, automine, ten funded well-known test accounts)."""
    async with Anvil() as node:
        yield node
