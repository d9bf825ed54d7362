"""Temporal's dev server for the tests of ``anyio_workflow.temporal``: one per session,
from the pip-installed CLI, on free loopback ports. Skipped, with the reason, when the
``temporal`` extra is not installed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest

# CI installs the extra (the dev extra pulls it in): there, a missing piece fails the run
# instead of skipping these tests into a green one.
IN_CI = os.environ.get("CI", "").lower() == "true"
try:
    import temporalio  # noqa: F401
except ImportError:
    if IN_CI:
        raise
    pytest.skip("the temporal extra is not installed", allow_module_level=True)

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent  # noqa: E402
from anyio_workflow.errors import NotFound  # noqa: E402
from anyio_workflow.evm import NonceManagers  # noqa: E402
from anyio_workflow.temporal import TemporalDevServer, find_temporal  # noqa: E402


@pytest.fixture(scope="session")
def temporal_server() -> Iterator[TemporalDevServer]:
    try:
        find_temporal()
    except NotFound as exc:
        if IN_CI:
            raise
        pytest.skip(f"no Temporal dev server: {exc.short_message}")
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        server = TemporalDevServer()
        with portal.wrap_async_context_manager(server):
            yield server


def queue() -> str:
    """A task queue of the test's own: the session's workers never take each other's."""
    return f"test-{uuid.uuid4().hex[:12]}"


def durable_workflow(
    agents: list[BaseAgent[Any]] | None, directory: Path, **options: Any
) -> AsyncWorkflow:
    """An AsyncWorkflow as Temporal workers need it: a journal and shared nonce leases in
    ``directory`` (the workers' machine)."""
    config = options.pop("config", None) or AsyncWorkflowConfig()
    return AsyncWorkflow(
        agents, config, journal=directory / "journal.db",
        nonces=NonceManagers(shared=directory / "nonces"), **options,
    )  # fmt: skip
