"""JSON-RPC 2.0: the transport seam, the client, batching, fallback, limits and helpers."""

from .client import DEFAULT_RPC_RETRY, JsonRpcClient
from .eth import EthRpc, FeeHistory, quantity, to_quantity
from .fallback import EndpointHealth, FallbackTransport
from .faults import FaultInjectingTransport, FaultKind
from .limits import TokenBucket
from .redact import redact_headers, redact_url
from .solana import Blockhash, SignatureStatus, SolanaRpc
from .transport import HttpTransport, Transport

__all__ = [
    "DEFAULT_RPC_RETRY",
    "Blockhash",
    "EndpointHealth",
    "EthRpc",
    "FallbackTransport",
    "FaultInjectingTransport",
    "FaultKind",
    "FeeHistory",
    "HttpTransport",
    "JsonRpcClient",
    "SignatureStatus",
    "SolanaRpc",
    "TokenBucket",
    "Transport",
    "quantity",
    "redact_headers",
    "redact_url",
    "to_quantity",
]
