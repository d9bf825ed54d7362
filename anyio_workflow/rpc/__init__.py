"""JSON-RPC 2.0: the transport seam, the client, batching, fallback, limits and helpers.

``SolanaRpc`` moved to :mod:`anyio_workflow.solana`; importing it from here still works
(``__getattr__`` below, with a ``DeprecationWarning``), the one import of this package
that reaches upward, and only when that name is asked for.
"""

from typing import Any

from .client import DEFAULT_RPC_RETRY, JsonRpcClient
from .eth import EthRpc, FeeHistory, quantity, to_quantity
from .fallback import EndpointHealth, FallbackTransport
from .faults import FaultInjectingTransport, FaultKind
from .limits import TokenBucket
from .redact import redact_headers, redact_url
from .transport import HttpTransport, Transport

__all__ = [
    "DEFAULT_RPC_RETRY",
    "EndpointHealth",
    "EthRpc",
    "FallbackTransport",
    "FaultInjectingTransport",
    "FaultKind",
    "FeeHistory",
    "HttpTransport",
    "JsonRpcClient",
    "TokenBucket",
    "Transport",
    "quantity",
    "redact_headers",
    "redact_url",
    "to_quantity",
]


def __getattr__(name: str) -> Any:
    if name in ("Blockhash", "SignatureStatus", "SolanaRpc"):
        import warnings

        warnings.warn(
            f"anyio_workflow.rpc.{name} moved: import it from anyio_workflow.solana",
            DeprecationWarning,
            stacklevel=2,
        )
        from .. import solana  # moved-name alias, see the docstring

        return getattr(solana, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
