"""The pytest plugin (registered as ``anyio_workflow`` through the ``pytest11`` entry point).

Fixtures for users' own tests, under whichever AnyIO backend the test runs on:

- ``evm_devnet``: a fresh embedded EVM devnet (chain id 1337, automine);
- ``funded_accounts``: its prefunded accounts (anvil's well-known test keys);
- ``solana_devnet``: a fresh embedded Solana devnet (LiteSVM) with funded keypairs;
- ``anvil``: a fresh anvil node on a free loopback port (needs the anvil binary: the
  project's ``npm ci``, ``ANVIL_BIN`` or an ``anvil`` on ``PATH``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from eth_account.signers.local import LocalAccount

from ..devnet.anvil import Anvil
from ..devnet.evm import EvmDevnet
from ..devnet.solana import SolanaDevnet


@pytest.fixture
def evm_devnet() -> EvmDevnet:
    """A fresh in-process EVM devnet; reach it with ``evm_devnet.client()``."""
    return EvmDevnet()


@pytest.fixture
def funded_accounts(evm_devnet: EvmDevnet) -> list[LocalAccount]:
    """The devnet's prefunded accounts (10,000 ether each; public test keys)."""
    return evm_devnet.accounts


@pytest.fixture
def solana_devnet() -> SolanaDevnet:
    """A fresh in-process Solana devnet; ``solana_devnet.funded`` holds funded keypairs."""
    return SolanaDevnet()


@pytest.fixture
async def anvil() -> AsyncIterator[Anvil]:
    """A fresh anvil (chain id 31337, automine, ten funded well-known test accounts).

    Cancellation: the node is stopped when the test ends, cancelled or not.
    """
    async with Anvil() as node:
        yield node
