"""Local nodes for tests, demos and benchmarks: embedded EVM and Solana devnets, anvil.

The embedded devnets load py-evm and LiteSVM, which take a second or two to import; they
are imported on first use, so that ``from anyio_workflow.devnet import Anvil`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .anvil import ANVIL_MNEMONIC, Anvil, AnvilNotFound, find_anvil, free_port

if TYPE_CHECKING:
    from .evm import DEVNET_MNEMONIC, EvmDevnet
    from .jsonrpc import JsonRpcApp, RpcFault
    from .serve import Devnet, serve_asgi
    from .solana import SolanaDevnet

__all__ = [
    "ANVIL_MNEMONIC",
    "DEVNET_MNEMONIC",
    "Anvil",
    "AnvilNotFound",
    "Devnet",
    "EvmDevnet",
    "JsonRpcApp",
    "RpcFault",
    "SolanaDevnet",
    "find_anvil",
    "free_port",
    "serve_asgi",
]

_LAZY = {
    "DEVNET_MNEMONIC": ".evm",
    "EvmDevnet": ".evm",
    "JsonRpcApp": ".jsonrpc",
    "RpcFault": ".jsonrpc",
    "Devnet": ".serve",
    "serve_asgi": ".serve",
    "SolanaDevnet": ".solana",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
