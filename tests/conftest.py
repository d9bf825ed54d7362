"""Every async test runs under asyncio and under trio (anyio's plugin, in auto mode)."""

from __future__ import annotations

import pytest

from .nodes import chain, node  # noqa: F401  (devnet-and-anvil fixtures, for every package)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
