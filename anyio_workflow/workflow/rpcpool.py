"""The workflow's JSON-RPC clients, one per chain, built from ``AsyncWorkflow(rpc=...)``.

``rpc`` maps a chain id to one URL, to several (with ``rpc_fallback=True`` they become one
``FallbackTransport``; without it only the first is used), or to a zero-argument callable
that makes a transport (an embedded devnet, a fault-injecting wrapper, ...).

Inside ``async with workflow:`` the clients, and the health the fallback has learnt of
each endpoint, live across runs; a workflow used without ``async with`` opens them for
each run and closes them after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack

from ..errors import InvalidArgument
from ..rpc.client import JsonRpcClient
from ..rpc.fallback import FallbackTransport
from ..rpc.transport import HttpTransport, Transport

__all__ = ["RpcPool", "RpcTarget"]

RpcTarget = str | Sequence[str] | Callable[[], Transport]


class RpcPool:
    """Cancellation: cancelled while opening, the clients opened so far are closed by the
    exit stack."""

    def __init__(self, targets: Mapping[int, RpcTarget], *, fallback: bool) -> None:
        for chain_id, target in targets.items():
            if type(chain_id) is not int or chain_id < 1:
                raise InvalidArgument(f"rpc: chain ids must be positive integers, got {chain_id!r}")
            if not (isinstance(target, str | Sequence) or callable(target)) or (
                isinstance(target, Sequence) and not isinstance(target, str) and not target
            ):
                raise InvalidArgument(
                    f"rpc[{chain_id}]: give a URL, a list of URLs or a transport factory"
                )
        self.targets = dict(targets)
        self.fallback = fallback

    def transport(self, chain_id: int) -> Transport:
        target = self.targets[chain_id]
        if isinstance(target, str):
            return HttpTransport(target)
        if isinstance(target, Sequence):
            if self.fallback and len(target) > 1:
                return FallbackTransport(list(target), chain_id=chain_id)
            return HttpTransport(target[0])
        return target()

    async def open(self, stack: AsyncExitStack) -> dict[int, JsonRpcClient]:
        """Open a client per chain; ``stack`` closes them."""
        return {
            chain_id: await stack.enter_async_context(JsonRpcClient(self.transport(chain_id)))
            for chain_id in self.targets
        }
