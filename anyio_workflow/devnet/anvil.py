"""Start and stop anvil, foundry's local EVM node, as an async context manager.

The binary comes from the npm package ``@foundry-rs/anvil`` pinned in the project's
``package-lock.json`` (``npm ci`` installs it under ``node_modules/``); ``ANVIL_BIN`` or
an ``anvil`` on ``PATH`` work too. Each instance listens on its own free loopback port.
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ..errors import AnvilNotFound, UsageError
from .process import LocalServer, free_port

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

__all__ = ["ANVIL_MNEMONIC", "Anvil", "AnvilNotFound", "find_anvil", "free_port"]

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's well-known default mnemonic: its keys are public, for local testing only."""


def _platform_package() -> str:
    system = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system(), "")
    machine = {"x86_64": "amd64", "AMD64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine(), ""
    )
    return f"anvil-{system}-{machine}"


def find_anvil() -> Path:
    """The anvil binary: ``$ANVIL_BIN``, then ``node_modules`` above the working directory
    or this package, then ``PATH``."""
    if env := os.environ.get("ANVIL_BIN"):
        return Path(env)
    relative = Path("node_modules", "@foundry-rs", _platform_package(), "bin", "anvil")
    for start in (Path.cwd(), Path(__file__).resolve()):
        for folder in (start, *start.parents):
            if (folder / relative).is_file():
                return folder / relative
    if found := shutil.which("anvil"):
        return Path(found)
    raise AnvilNotFound(
        "anvil not found: run `npm ci` in the project (it installs @foundry-rs/anvil), "
        "or set ANVIL_BIN"
    )


class Anvil(LocalServer):
    """A running anvil on a free loopback port; ``async with Anvil() as node: node.url``.

    :param chain_id: the chain id it reports (anvil's default is 31337).
    :param block_time: seconds between blocks (interval mining); ``None`` mines each
        transaction at once (automine).
    :param accounts: how many prefunded accounts, from ``ANVIL_MNEMONIC``.
    :param base_fee: the base fee of the first block, in wei.
    :param startup_timeout: seconds to wait for ``eth_chainId`` to answer.

    Leaving the block stops the process (terminate, then kill after 5 s), also on
    cancellation (see :class:`~anyio_workflow.devnet.process.LocalServer`).

    Cancellation: cancelled while starting, the process is stopped before the
    cancellation propagates; leaving the block (cancelled or not) stops it, shielded.
    """

    name = "anvil"

    def __init__(
        self,
        *,
        chain_id: int = 31337,
        block_time: float | None = None,
        accounts: int = 10,
        balance_ether: int = 10_000,
        base_fee: int | None = None,
        extra_args: tuple[str, ...] = (),
        startup_timeout: float = 20.0,
    ) -> None:
        self.chain_id = chain_id
        self.block_time = block_time
        self.accounts_count = accounts
        self.balance_ether = balance_ether
        self.base_fee = base_fee
        self.extra_args = extra_args
        super().__init__(startup_timeout=startup_timeout)

    @property
    def url(self) -> str:
        if self.port is None:
            raise UsageError("anvil is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def accounts(self) -> list[LocalAccount]:
        """The prefunded accounts (well-known test keys: never use them for real value)."""
        from eth_account import Account  # a second to import: only when asked for

        Account.enable_unaudited_hdwallet_features()
        return [
            Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
            for i in range(self.accounts_count)
        ]

    def command(self, port: int) -> list[str]:
        args = [
            str(find_anvil()),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts_count),
            "--balance", str(self.balance_ether),
            "--silent",
        ]  # fmt: skip
        if self.block_time is not None:
            args += ["--block-time", str(self.block_time)]
        if self.base_fee is not None:
            args += ["--block-base-fee-per-gas", str(self.base_fee)]
        return [*args, *self.extra_args]

    async def probe(self, client: httpx.AsyncClient) -> bool:
        """Whether ``eth_chainId`` answers. Cancellation: a request; nothing changed."""
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        answer = await client.post(self.url, json=body)
        return answer.status_code == 200 and "result" in answer.json()

    def __repr__(self) -> str:
        state = self.url if self.port is not None and self._process else "stopped"
        return f"<Anvil chain_id={self.chain_id} {state}>"
