"""Local nodes for tests, demos and benchmarks: embedded EVM and Solana devnets, anvil."""

from .anvil import ANVIL_MNEMONIC, Anvil, AnvilNotFound, find_anvil, free_port
from .evm import DEVNET_MNEMONIC, EvmDevnet
from .jsonrpc import JsonRpcApp, RpcFault
from .serve import serve_asgi
from .solana import SolanaDevnet

__all__ = [
    "ANVIL_MNEMONIC",
    "DEVNET_MNEMONIC",
    "Anvil",
    "AnvilNotFound",
    "EvmDevnet",
    "JsonRpcApp",
    "RpcFault",
    "SolanaDevnet",
    "find_anvil",
    "free_port",
    "serve_asgi",
]
