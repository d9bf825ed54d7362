"""Every async test runs under asyncio and under trio (anyio's plugin, in auto mode)."""

from __future__ import annotations

import pytest
from hypothesis import settings

from .budget import PROFILE
from .nodes import chain, node  # noqa: F401  (devnet-and-anvil fixtures, for every package)

settings.register_profile("dev")
settings.register_profile("ci", max_examples=100, print_blob=True)
settings.load_profile(PROFILE)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
