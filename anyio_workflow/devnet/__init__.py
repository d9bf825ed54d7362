"""Local nodes for tests, demos and benchmarks: the anvil launcher (embedded devnets next)."""

from .anvil import ANVIL_MNEMONIC, Anvil, AnvilNotFound, find_anvil, free_port

__all__ = ["ANVIL_MNEMONIC", "Anvil", "AnvilNotFound", "find_anvil", "free_port"]
