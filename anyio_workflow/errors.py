"""The one error tree of anyio-workflow.

Every error the library raises on purpose is an :class:`AnyioWorkflowError`. Each carries
a one-line ``short_message``, optional ``details``, and its cause in ``__cause__`` (as
viem's errors do), and says whether retrying could help (``transient``). Input that a
pydantic model rejects raises pydantic's ``ValidationError``, which names the field.

::

    AnyioWorkflowError                 base class; .short_message, .details, .transient
    ├── InvalidArgument                a value given to the library is wrong (also a ValueError)
    │   ├── InvalidType                a value of the wrong type (also a TypeError)
    │   ├── InvalidAddress             not an EVM address (or a bad EIP-55 checksum)
    │   ├── AbiError                   a signature, type or value the ABI codec refuses
    │   ├── InvalidCID                 not a CID, or one of a kind not supported here
    │   ├── DagError                   bytes or values that are not canonical DAG-JSON/CBOR
    │   ├── CarError                   not a CAR v1 archive
    │   └── MerkleError                a Merkle tree, proof or leaf that cannot be used
    ├── NotFound                       a name asked for is not there (also a KeyError)
    │   └── UnknownActionError         no agents given and no action registered under that name
    ├── UsageError                     a call out of order, e.g. a workflow opened twice
    │                                  (also a RuntimeError)
    ├── DevnetError                    a devnet or node could not start (also a RuntimeError)
    │   └── AnvilNotFound              no anvil binary (npm ci, or ANVIL_BIN)
    ├── InvariantViolated              a testing invariant does not hold (also an
    │                                  AssertionError, so tests fail with it)
    ├── RpcFault                       raised inside a served devnet or fake node: the answer
    │                                  is this error (a JSON-RPC code, or an HTTP status)
    ├── TransientError                 raise it from an agent to ask the retry engine to retry
    │   └── AttemptTimeout             one attempt ran past RetryPolicy.attempt_timeout
    ├── Veto                           raised by a validator: the run must not go ahead
    ├── StepBudgetExceeded             the run would pass AsyncWorkflowConfig.context_length
    ├── DuplicateRunError              a run with the same idempotency key is already running
    │                                  (in this process, or another one on the same journal)
    ├── JournalError                   a journal row that cannot be read (named), or a value
    │                                  it may not restore
    ├── RunError                       raised by WorkflowResult.raise_for_status(); has .result
    │   ├── RunVetoed                  a validator vetoed the run
    │   ├── RunFailed                  an agent failed, or the step budget ran out
    │   │   └── AuditError             the run's record could not be made or stored
    │   └── RunTimedOut                the run's deadline passed
    ├── RecordNotStored                a run's ``error`` when its auditors did not record it
    ├── RemoteAgentError               an agent's error from a Temporal worker, of a foreign class
    ├── TemporalError                  Temporal could not be reached, or refused a call
    ├── DeadlinePassed                 a timed-out run's ``error``: which agents it cut short
    ├── RunCancelled                   a run cancelled from outside (on Temporal): its ``error``
    ├── TransactionError               something failed after a broadcast; .hashes, .receipt
    ├── FeeCapExceeded                 an eco transaction would pass its fee cap; nothing sent
    ├── StoreError                     a content store failed
    │   ├── StoreUnavailable       *   the store did not answer, or a server error
    │   ├── BlockNotFound              the store does not have the block (also a LookupError)
    │   └── CorruptBlock               the bytes do not match their CID
    └── RpcError                       a JSON-RPC call failed; .method, .endpoint (redacted)
        ├── TransportError         *   the request or its answer was lost on the way
        │   └── RequestTimeout     *   no answer within the timeout
        ├── HttpStatusError            the endpoint answered with an HTTP error status
        │                          *   (transient for 408, 425, 429, 500, 502, 503, 504)
        ├── InvalidResponse        *   the answer is not valid JSON-RPC 2.0 for the request
        ├── ResponseTooLarge           the answer is larger than max_response_bytes
        ├── EndpointsExhausted     *   every endpoint of a FallbackTransport failed
        ├── WrongChainError            an endpoint serves another chain than expected
        └── JsonRpcError               the node answered with an error object; .code, .data
            ├── ParseError             -32700
            ├── InvalidRequest         -32600
            ├── MethodNotFound         -32601
            ├── InvalidParams          -32602
            ├── InternalError      *   -32603
            ├── InvalidInput           -32000 (also nonce and fee rejections)
            ├── ResourceNotFound       -32001
            ├── ResourceUnavailable *  -32002
            ├── TransactionRejected    -32003
            ├── MethodNotSupported     -32004
            ├── LimitExceeded      *   -32005, HTTP-style 429 answers, "rate limit" messages
            ├── ExecutionReverted      code 3 or "execution reverted"; .data, .reason
            └── SimulationFailed       Solana's "Transaction simulation failed" (-32002)

(* transient: the retry engine and FallbackTransport try again.) Every ``endpoint`` is
redacted: API keys in the path, the query or the userinfo never appear in an error.

Cancellation is not an error of ours: it is the backend's cancellation exception, and it
always propagates.

**One cause, one exception.** Task groups wrap what they raise in an ``ExceptionGroup``.
At every public boundary (a client's or a workflow's ``async with``, a devnet's server, a
run's agents) a failure with one cause reaches the caller as that exception, so that
``except RpcError`` catches it, on asyncio and trio alike (:func:`one_error`). Several
independent failures stay an ``ExceptionGroup``, whose message names each of them.

This module is the bottom of the package: it imports nothing of ours, so that every layer
can raise and catch these classes (``tests/test_architecture.py`` checks that every
exception class of the package is defined here). Revert data is decoded here too, since
:class:`ExecutionReverted` explains itself with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

__all__ = [
    "AbiError",
    "AnvilNotFound",
    "AnyioWorkflowError",
    "AttemptTimeout",
    "AuditError",
    "BlockNotFound",
    "CarError",
    "CorruptBlock",
    "DagError",
    "DeadlinePassed",
    "DecodedRevert",
    "DevnetError",
    "DuplicateRunError",
    "JournalError",
    "EndpointsExhausted",
    "ExecutionReverted",
    "FeeCapExceeded",
    "HttpStatusError",
    "InternalError",
    "InvalidAddress",
    "InvalidArgument",
    "InvalidCID",
    "InvalidInput",
    "InvalidParams",
    "InvalidRequest",
    "InvalidResponse",
    "InvalidType",
    "JsonRpcError",
    "LimitExceeded",
    "MerkleError",
    "MethodNotFound",
    "MethodNotSupported",
    "NotFound",
    "PANIC_REASONS",
    "ParseError",
    "RecordNotStored",
    "RemoteAgentError",
    "RunCancelled",
    "TemporalError",
    "RequestTimeout",
    "ResponseTooLarge",
    "ResourceNotFound",
    "ResourceUnavailable",
    "RpcError",
    "RpcFault",
    "RunError",
    "RunFailed",
    "RunTimedOut",
    "RunVetoed",
    "SimulationFailed",
    "StepBudgetExceeded",
    "StoreError",
    "StoreUnavailable",
    "TransactionError",
    "TransactionRejected",
    "TransientError",
    "TransportError",
    "UnknownActionError",
    "UsageError",
    "InvariantViolated",
    "Veto",
    "WrongChainError",
    "decode_revert",
    "register_error",
    "error_class_for",
    "error_from_answer",
    "is_transient",
    "one_error",
    "single_error",
]


class AnyioWorkflowError(Exception):
    """Base class of every error that anyio-workflow raises on purpose."""

    transient: ClassVar[bool] = False

    def __init__(self, short_message: str, *, details: str | None = None) -> None:
        super().__init__(short_message)
        self.short_message = short_message
        self.details = details

    def __str__(self) -> str:
        if self.details:
            return f"{self.short_message}\n\nDetails: {self.details}"
        return self.short_message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.short_message!r})"


class InvalidArgument(AnyioWorkflowError, ValueError):
    """A value given to the library is malformed or out of range; the message starts with
    the field it came from. Raised before anything is signed or sent."""


class InvalidType(InvalidArgument, TypeError):
    """A value of the wrong type was given (an agent that is not a ``BaseAgent``, say)."""


class InvalidAddress(InvalidArgument):
    """Not a 20-byte EVM address, or a mixed-case address whose EIP-55 checksum is wrong."""


class AbiError(InvalidArgument):
    """A function signature, ABI type or value that the ABI codec refuses."""


class InvalidCID(InvalidArgument):
    """Not a CID, or a CID of a version, codec or hash this library does not handle."""


class DagError(InvalidArgument):
    """Bytes that are not canonical DAG-JSON or DAG-CBOR, or a value they cannot hold."""


class CarError(InvalidArgument):
    """Bytes that are not a CAR v1 archive."""


class MerkleError(InvalidArgument):
    """A Merkle tree, proof, multiproof or leaf that cannot be used as given."""


class NotFound(AnyioWorkflowError, KeyError):
    """A name that was asked for is not there: an agent, a service, a chain's endpoint."""

    def __str__(self) -> str:  # KeyError would quote the message
        return AnyioWorkflowError.__str__(self)


class UsageError(AnyioWorkflowError, RuntimeError):
    """The library was called out of order: a workflow opened twice, a devnet not started."""


class InvariantViolated(AnyioWorkflowError, AssertionError):
    """A property of a run does not hold (:mod:`anyio_workflow.testing.invariants`): a
    payout twice, a transaction missing from the record, a leaked task."""


class DevnetError(AnyioWorkflowError, RuntimeError):
    """A devnet or a local node could not start, or stopped serving."""


class AnvilNotFound(DevnetError):
    """No anvil binary: run ``npm ci`` (package-lock.json pins it) or set ``ANVIL_BIN``."""


class RpcFault(AnyioWorkflowError):
    """Raised inside a devnet's (or a fake node's) handler: the server answers with this
    error, ``code`` being a JSON-RPC error code (or, for an HTTP fake, the status)."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class TransactionError(AnyioWorkflowError):
    """Something failed after a broadcast; ``hashes`` holds every hash sent, and
    ``receipt`` the mined receipt (a ``TxReceipt``) when there is one."""

    transient = False

    def __init__(self, message: str, hashes: list[str], receipt: Any = None) -> None:
        super().__init__(message, details=f"sent: {', '.join(hashes)}")
        self.hashes = list(hashes)
        self.receipt = receipt


class FeeCapExceeded(AnyioWorkflowError):
    """An eco transaction's deadline passed and sending now would pass the fee cap."""


class StoreError(AnyioWorkflowError):
    """A content store failed."""


class StoreUnavailable(StoreError):
    """The store did not answer, or answered with a server error: it may pass."""

    transient = True


class BlockNotFound(StoreError, LookupError):
    """The store does not have the block."""


class CorruptBlock(StoreError):
    """The bytes a store returned are not the block the CID names."""

    transient = False


class TransientError(AnyioWorkflowError):
    """Raised by an agent when the failure may pass: the retry engine tries again."""

    transient = True


class AttemptTimeout(TransientError):
    """Raised when one attempt of an agent runs past ``RetryPolicy.attempt_timeout``."""


class Veto(AnyioWorkflowError):
    """Raised by a validator to stop the run before any executor starts."""

    def __init__(self, reason: str, *, details: str | None = None) -> None:
        super().__init__(reason, details=details)
        self.reason = reason


class StepBudgetExceeded(AnyioWorkflowError):
    """Raised when a run would take more steps than ``context_length`` allows."""

    def __init__(self, budget: int) -> None:
        super().__init__(
            f"the run would pass its step budget of {budget} (AsyncWorkflowConfig.context_length)",
            details="Each agent attempt and each ctx.step() is one step; raise context_length "
            "if the run really needs more.",
        )
        self.budget = budget


class UnknownActionError(NotFound):
    """Raised when a workflow without agents is given an action nobody registered."""

    def __init__(self, action: str, known: list[str]) -> None:
        listing = ", ".join(sorted(known)) or "(none registered)"
        super().__init__(
            f"task.action: no agents registered for action {action!r}",
            details=f"Known actions: {listing}. Pass agents=[...] or register_action().",
        )
        self.action = action
        self.known = sorted(known)


class DuplicateRunError(AnyioWorkflowError):
    """Raised when a run's idempotency key is already held by a run in progress, in this
    process or in another one that opened the same journal."""

    def __init__(self, key: str, where: str = "") -> None:
        super().__init__(
            f"task.idempotency_key: a run with key {key!r} is already in progress{where}"
        )
        self.key = key


class JournalError(AnyioWorkflowError):
    """A journal that cannot be read (the row is named; the rows before it are intact), a
    run recorded out of order, or a value the journal may not restore."""


class RunError(AnyioWorkflowError):
    """Raised by :meth:`WorkflowResult.raise_for_status` for a run that did not succeed."""

    def __init__(self, short_message: str, result: Any) -> None:
        super().__init__(short_message)
        self.result = result
        """The ``WorkflowResult`` of the run."""


class RunVetoed(RunError):
    """The run was vetoed by a validator; no executor ran."""


class RunFailed(RunError):
    """At least one agent failed, or the run ran out of steps."""


class AuditError(RunFailed):
    """The work may have gone well, but the run's audit record could not be made or
    stored (``auto_store_proofs=True``): a run nobody can audit did not succeed."""


class RemoteAgentError(AnyioWorkflowError):
    """An agent's error from another process (a Temporal worker) whose class is not one of
    this library's, so it could not be rebuilt as itself: its class name and message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class TemporalError(AnyioWorkflowError):
    """Temporal could not be reached, or refused a call (connect, submit, a signal, a
    query, a wait for a result): what it said. Transient: an agent that met it (waiting
    for approvals, say) is tried again."""

    transient = True


class RecordNotStored(AnyioWorkflowError):
    """Set as a run's ``error`` when an auditor did not finish its record; names it."""


class DeadlinePassed(AnyioWorkflowError):
    """Set as a timed-out run's ``error``: its deadline, and the agents it cut short."""


class RunCancelled(AnyioWorkflowError):
    """Set as a run's ``error`` when it was cancelled from outside while its result stays
    readable (a run on Temporal cancelled through its handle)."""


class RunTimedOut(RunError):
    """The run's deadline passed before its executors finished."""


class RpcError(AnyioWorkflowError):
    """A JSON-RPC call failed; says which method, and which endpoint (redacted)."""

    def __init__(
        self,
        short_message: str,
        *,
        method: str | None = None,
        endpoint: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(short_message, details=details)
        self.method = method
        self.endpoint = endpoint

    def __str__(self) -> str:
        where = [f"method {self.method}"] if self.method else []
        if self.endpoint:
            where.append(f"endpoint {self.endpoint}")
        text = self.short_message + (f" ({', '.join(where)})" if where else "")
        return f"{text}\n\nDetails: {self.details}" if self.details else text


class TransportError(RpcError):
    """The request or its answer was lost on the way (refused, reset, dropped)."""

    transient = True


class RequestTimeout(TransportError):
    """No answer came within the request timeout."""


_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class HttpStatusError(RpcError):
    """The endpoint answered with an HTTP error status instead of a JSON-RPC answer;
    ``retry_after`` holds its ``Retry-After`` in seconds, when it sent one."""

    def __init__(
        self,
        status: int,
        *,
        method: str | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
    ):
        text = f"HTTP {status}" + (f", retry after {retry_after:g} s" if retry_after else "")
        super().__init__(text, method=method, endpoint=endpoint)
        self.status = status
        self.retry_after = retry_after
        self.transient = status in _TRANSIENT_STATUS  # type: ignore[misc]


class InvalidResponse(RpcError):
    """The answer is not valid JSON-RPC 2.0 for the request that was sent."""

    transient = True


class ResponseTooLarge(RpcError):
    """The answer is larger than the transport's ``max_response_bytes``: reading stopped at
    the limit. Not retried (the same request would get the same answer)."""


class EndpointsExhausted(RpcError):
    """Every endpoint of a FallbackTransport failed; ``errors`` holds each one's error."""

    transient = True

    def __init__(self, errors: list[RpcError], *, method: str | None = None) -> None:
        listing = "; ".join(f"{e.endpoint}: {e.short_message}" for e in errors) or "none usable"
        super().__init__(f"every endpoint failed ({len(errors)})", method=method, details=listing)
        self.errors = errors


class WrongChainError(RpcError):
    """An endpoint serves another chain than the one expected; nothing is sent to it."""

    def __init__(self, endpoint: str, expected: int, actual: int) -> None:
        super().__init__(
            f"endpoint serves chain {actual}, expected chain {expected}: it will not be used",
            endpoint=endpoint,
        )
        self.expected = expected
        self.actual = actual


class JsonRpcError(RpcError):
    """The node answered the call with a JSON-RPC error object."""

    code: int

    def __init__(
        self,
        code: int,
        message: str,
        data: object = None,
        *,
        method: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        message = self._explain(message, data)
        super().__init__(message, method=method, endpoint=endpoint)
        self.code = code
        self.message = message
        self.data = data

    def _explain(self, message: str, data: object) -> str:
        """The message to show; subclasses that can decode ``data`` add to it."""
        return message


class ParseError(JsonRpcError):
    """-32700: the node could not parse the request."""


class InvalidRequest(JsonRpcError):
    """-32600: the request is not a valid JSON-RPC request (or batches are refused)."""


class MethodNotFound(JsonRpcError):
    """-32601: the node does not have that method."""


class InvalidParams(JsonRpcError):
    """-32602: the parameters are wrong for the method."""


class InternalError(JsonRpcError):
    """-32603: the node failed internally."""

    transient = True


class InvalidInput(JsonRpcError):
    """-32000: the input was rejected (nonce too low, fee too low, already known, ...)."""


class ResourceNotFound(JsonRpcError):
    """-32001: the requested resource was not found."""


class ResourceUnavailable(JsonRpcError):
    """-32002: the requested resource is not available (yet)."""

    transient = True


class TransactionRejected(JsonRpcError):
    """-32003: the transaction was rejected."""


class MethodNotSupported(JsonRpcError):
    """-32004: the node does not support the method."""


class LimitExceeded(JsonRpcError):
    """-32005 or a 429-style answer: the endpoint's request limit was exceeded."""

    transient = True


class ExecutionReverted(JsonRpcError):
    """The call or transaction reverted; ``reason`` is decoded from ``data`` when it can be.

    ``reason`` is the string of ``Error(string)``, a description of ``Panic(uint256)``,
    a known custom error with its arguments (OpenZeppelin's ERC-20/721 errors, the
    library's contracts', any registered with :func:`register_error`; then
    ``error_name`` and ``error_args`` hold them), or ``None`` for an unknown custom error
    (then ``selector`` names its first four bytes).
    """

    reason: str | None
    selector: str | None
    panic_code: int | None
    error_name: str | None
    error_args: tuple[Any, ...]

    def _explain(self, message: str, data: object) -> str:
        decoded = decode_revert(data)
        self.reason = decoded.reason
        self.selector = decoded.selector
        self.panic_code = decoded.panic_code
        self.error_name = decoded.error_name
        self.error_args = decoded.args
        if decoded.reason is not None and decoded.reason not in message:
            return f"{message}: {decoded.reason}"
        if decoded.reason is None and decoded.selector is not None:
            return f"{message}: custom error {decoded.selector}"
        return message


class SimulationFailed(JsonRpcError):
    """Solana: the transaction failed in preflight; ``data`` has the error and the logs.

    Solana reuses -32002 for it, which EIP-1474 gives to a transient error: the message
    tells them apart.
    """


_BY_CODE: dict[int, type[JsonRpcError]] = {
    -32700: ParseError,
    -32600: InvalidRequest,
    -32601: MethodNotFound,
    -32602: InvalidParams,
    -32603: InternalError,
    -32000: InvalidInput,
    -32001: ResourceNotFound,
    -32002: ResourceUnavailable,
    -32003: TransactionRejected,
    -32004: MethodNotSupported,
    -32005: LimitExceeded,
    429: LimitExceeded,
    3: ExecutionReverted,
}
_RATE_LIMIT_WORDS = ("rate limit", "too many requests", "limit exceeded", "exceeded the quota")
_NEVER_WORDS = (
    "insufficient funds", "cannot afford", "exceeds 256 bits", "intrinsic gas too",
    "gas cannot be negative", "overflow",
)  # fmt: skip
"""Answers that say a transaction can never succeed as it is: permanent, whatever the code
(some nodes send them as -32603 internal errors, which would otherwise be retried)."""


def error_class_for(code: int, message: str) -> type[JsonRpcError]:
    """The class of a JSON-RPC error answer, by its code and, for ambiguous codes, message."""
    lowered = message.lower()
    if "transaction simulation failed" in lowered:
        return SimulationFailed
    if "execution reverted" in lowered or lowered.startswith("revert"):
        return ExecutionReverted
    if any(word in lowered for word in _RATE_LIMIT_WORDS):
        return LimitExceeded
    found = _BY_CODE.get(code, JsonRpcError)
    if found.transient and any(word in lowered for word in _NEVER_WORDS):
        return InvalidInput  # "internal error: insufficient funds" will not pass on retry
    return found


def error_from_answer(
    error: object, *, method: str | None = None, endpoint: str | None = None
) -> RpcError:
    """The typed error for the ``error`` member of a JSON-RPC answer."""
    if (
        not isinstance(error, dict)
        or type(error.get("code")) is not int
        or not isinstance(error.get("message"), str)
    ):
        return InvalidResponse(
            "the error member is not an object with an integer code and a string message",
            method=method,
            endpoint=endpoint,
        )
    code, message = error["code"], error["message"]
    return error_class_for(code, message)(
        code, message, error.get("data"), method=method, endpoint=endpoint
    )


def is_transient(exc: BaseException) -> bool:
    """Whether retrying after ``exc`` could succeed: only errors marked transient are."""
    return getattr(exc, "transient", False) is True


# -- revert data ---------------------------------------------------------------------------

ERROR_SELECTOR = "0x08c379a0"  # keccak("Error(string)")[:4]
PANIC_SELECTOR = "0x4e487b71"  # keccak("Panic(uint256)")[:4]

PANIC_REASONS = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "conversion to an invalid enum value",
    0x22: "incorrectly encoded storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "too much memory allocated",
    0x51: "call to a zero-initialized internal function",
}


@dataclass(frozen=True, slots=True)
class DecodedRevert:
    """What revert data says: ``Error(string)``, ``Panic(uint256)`` or a custom error."""

    reason: str | None = None
    """The ``Error(string)`` message, a description of the panic, or a known custom error
    with its arguments (``ERC20InsufficientBalance(0xab..., 5, 7)``)."""
    selector: str | None = None
    """The first four bytes of the data, 0x-hex, when there are at least four."""
    panic_code: int | None = None
    error_name: str | None = None
    """A known custom error's name."""
    args: tuple[Any, ...] = ()
    """A known custom error's arguments."""


_CUSTOM_ERRORS: dict[str, tuple[str, tuple[str, ...]]] = {}
"""selector -> (name, argument types): the custom errors revert data is decoded against."""


def register_error(signature: str) -> str:
    """Decode reverts with the custom error ``signature`` (``"Name(type,type)"``, canonical
    types) from now on; returns its selector. The library registers OpenZeppelin's
    ERC-20 and ERC-721 errors and its own contracts' errors; ``evm.abi.register_errors``
    registers those of any JSON ABI."""
    name, _, rest = signature.partition("(")
    if not name or not rest.endswith(")"):
        raise InvalidArgument(f"signature: not Name(types): {signature!r}")
    types = tuple(t for t in rest[:-1].split(",") if t) if rest[:-1] else ()
    selector = "0x" + keccak(text=signature)[:4].hex()
    _CUSTOM_ERRORS[selector] = (name, types)
    return selector


for _signature in (  # OpenZeppelin 5's draft-IERC6093 errors
    "ERC20InsufficientBalance(address,uint256,uint256)", "ERC20InvalidSender(address)",
    "ERC20InvalidReceiver(address)", "ERC20InsufficientAllowance(address,uint256,uint256)",
    "ERC20InvalidApprover(address)", "ERC20InvalidSpender(address)",
    "ERC721InvalidOwner(address)", "ERC721NonexistentToken(uint256)",
    "ERC721IncorrectOwner(address,uint256,address)", "ERC721InvalidSender(address)",
    "ERC721InvalidReceiver(address)", "ERC721InsufficientApproval(address,uint256)",
    "ERC721InvalidApprover(address)", "ERC721InvalidOperator(address)",
):  # fmt: skip
    register_error(_signature)


def _shown_arg(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def decode_revert(data: object) -> DecodedRevert:
    """Decode revert ``data`` (0x-hex) as nodes return it; anything else decodes to nothing."""
    if not isinstance(data, str) or not data.startswith("0x") or len(data) < 10:
        return DecodedRevert()
    try:
        raw = bytes.fromhex(data[2:])
    except ValueError:
        return DecodedRevert()
    selector = "0x" + raw[:4].hex()
    try:
        if selector == ERROR_SELECTOR:
            (reason,) = decode(["string"], raw[4:])
            return DecodedRevert(reason=reason, selector=selector)
        if selector == PANIC_SELECTOR:
            (code,) = decode(["uint256"], raw[4:])
            description = PANIC_REASONS.get(code, "unknown panic")
            return DecodedRevert(
                reason=f"panic 0x{code:02x}: {description}", selector=selector, panic_code=code
            )
        known = _CUSTOM_ERRORS.get(selector)
        if known is not None:
            name, types = known
            args = tuple(decode(list(types), raw[4:]))
            reason = f"{name}({', '.join(_shown_arg(a) for a in args)})"
            return DecodedRevert(reason=reason, selector=selector, error_name=name, args=args)
    except (DecodingError, OverflowError, UnicodeDecodeError, ValueError):
        pass
    return DecodedRevert(selector=selector)


# -- one cause, one exception ----------------------------------------------------------------


def single_error(error: BaseException) -> BaseException:
    """The one exception inside ``error`` when it is a group (of groups) with a single
    member; ``error`` itself otherwise."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


@contextmanager
def one_error() -> Iterator[None]:
    """Re-raise a task group's single failure as itself, not as an ``ExceptionGroup``.

    A group of several failures is re-raised as an ``ExceptionGroup`` whose message lists
    them (type and short message each), so that a log line or ``str()`` says what failed.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        leaf = single_error(group)
        if leaf is not group:
            raise leaf from leaf.__cause__
        if not isinstance(group, ExceptionGroup):
            raise
        listing = "; ".join(
            f"{type(e).__name__}: {getattr(e, 'short_message', None) or e}"
            for e in group.exceptions
        )
        raise ExceptionGroup(
            f"{len(group.exceptions)} failures: {listing}", list(group.exceptions)
        ) from None
