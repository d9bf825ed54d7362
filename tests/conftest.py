"""Every async test runs under asyncio and under trio (anyio's plugin, in auto mode)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# py-evm raises the recursion limit when it is first imported; imported inside a hypothesis
# example (EvmDevnet(backend="py-evm") imports it lazily), hypothesis would see the limit
# change under it and warn.
from anyio_workflow.devnet import pyevm  # noqa: F401
from anyio_workflow.storage.local import DATA_DIR_ENV

from .budget import PROFILE
from .nodes import chain, node  # noqa: F401  (devnet-and-anvil fixtures, for every package)

settings.register_profile("dev")
settings.register_profile("ci", max_examples=100, print_blob=True)
settings.load_profile(PROFILE)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True, scope="session")
def _records_in_a_temporary_data_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every run is recorded (auto_store_proofs): into a directory of this session's, not
    the user's data directory."""
    os.environ[DATA_DIR_ENV] = str(tmp_path_factory.mktemp("data"))
