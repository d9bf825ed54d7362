"""The workflow's JSON-RPC clients, one per chain, built from ``AsyncWorkflow(rpc=...)``.

``rpc`` maps a chain (an EVM chain id, or a CAIP-2 id: ``"eip155:137"``,
``"solana:<genesis>"``) to one URL, to several (with ``rpc_fallback=True`` they become one
``FallbackTransport``; without it only the first is used), or to a zero-argument callable
that makes a transport (an embedded devnet, a fault-injecting wrapper, ...).

Inside ``async with workflow:`` the clients, and the health the fallback has learnt of
each endpoint, live across runs; a workflow used without ``async with`` opens them for
each run and closes them after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack

from ..chains.caip import ChainRef, chain_ref
from ..errors import InvalidArgument
from ..rpc.client import JsonRpcClient
from ..rpc.fallback import FallbackTransport
from ..rpc.transport import HttpTransport, Transport, check_url

__all__ = ["RpcMap", "RpcPool", "RpcTarget"]

RpcTarget = str | Sequence[str] | Callable[[], Transport]
RpcMap = Mapping[int, RpcTarget] | Mapping[str, RpcTarget] | Mapping[ChainRef, RpcTarget]
"""What ``AsyncWorkflow(rpc=...)`` takes: chains (EVM ids, CAIP-2 ids, or both) to targets."""


class RpcPool:
    """Cancellation: cancelled while opening, the clients opened so far are closed by the
    exit stack."""

    def __init__(self, targets: RpcMap, *, fallback: bool) -> None:
        normalized: dict[ChainRef, RpcTarget] = {}
        for key, target in targets.items():
            chain_id = chain_ref(key, "rpc")  # 1, "eip155:1" or "solana:<genesis>"
            normalized[chain_id] = target
            if not (isinstance(target, str | Sequence) or callable(target)) or (
                isinstance(target, Sequence) and not isinstance(target, str) and not target
            ):
                raise InvalidArgument(
                    f"rpc[{chain_id}]: give a URL, a list of URLs or a transport factory"
                )
            if isinstance(target, str):
                check_url(target, f"rpc[{chain_id}]")
            elif isinstance(target, Sequence):
                for index, url in enumerate(target):
                    check_url(url, f"rpc[{chain_id}][{index}]")
        self.targets = normalized
        self.fallback = fallback

    def merged(self, more: RpcMap | None) -> dict[ChainRef, RpcTarget]:
        """These targets with ``more``'s, which win."""
        merged = dict(self.targets)
        for key, target in (more or {}).items():
            merged[chain_ref(key, "rpc")] = target
        return merged

    def transport(self, chain_id: ChainRef) -> Transport:
        target = self.targets[chain_id]
        if isinstance(target, str):
            return HttpTransport(target)
        if isinstance(target, Sequence):
            if self.fallback and len(target) > 1:
                if isinstance(chain_id, str):  # Solana: no eth_chainId to check
                    return FallbackTransport(list(target), verify_chain=False)
                return FallbackTransport(list(target), chain_id=chain_id)
            return HttpTransport(target[0])
        return target()

    async def open(self, stack: AsyncExitStack) -> dict[ChainRef, JsonRpcClient]:
        """Open a client per chain; ``stack`` closes them."""
        return {
            chain_id: await stack.enter_async_context(JsonRpcClient(self.transport(chain_id)))
            for chain_id in self.targets
        }
