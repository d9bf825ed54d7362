"""Audit records: what a run did, signed, content-addressed, and tied to a Merkle root.

A run's record is two DAG-JSON blocks:

- the **record** (:class:`AuditRecord`): the run id, the normalized task, the config, each
  agent with its role, status, attempts, timing and output, every transaction hash with
  its receipt (and the hashes of transactions that failed after their broadcast), the
  Merkle root over all of that, and a link to the previous record of the same auditor
  (a hash chain);
- the **envelope**: a link to the record, the auditor's address, and the auditor's
  EIP-191 signature over the record's CID (its text form). The envelope's CID is the one
  a run reports, anchors and hands to ``anyio-workflow verify``.

The Merkle tree (:class:`StandardMerkleTree`, OpenZeppelin-compatible) has one leaf per
agent and one per transaction, each ``[kind, id, digest]`` (``string, string, bytes32``)
where ``digest`` is the keccak-256 of that entry's canonical DAG-JSON. A payee can so prove
to a contract that their payout was part of an anchored run with one proof.

Nothing secret goes in: errors are recorded by type and short message (our errors
already redact URLs), and signers, RPC URLs and services are never part of it. The
seed's "ZK-proofs" are not what this is: these are Merkle inclusion proofs and signatures.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from eth_account import Account
from eth_account.messages import encode_defunct
from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python

from .._hash import keccak256
from ..core.outcome import flatten_output
from ..errors import AnyioWorkflowError, TransactionError
from ..evm.accounts import Signer
from ..evm.tx import receipts_in
from ..solana.tx import SolanaReceipt
from ..storage.cid import CID
from ..storage.dag import dag_json_decode, dag_json_encode
from .merkle import StandardMerkleTree
from .personal import seal

__all__ = [
    "LEAF_ENCODING",
    "AgentEntry",
    "AuditRecord",
    "AuditSummary",
    "Envelope",
    "TxEntry",
    "build_record",
    "record_leaves",
    "sign_record",
]

RECORD_FORMAT: Final = "anyio-workflow/audit-record/v1"
ENVELOPE_FORMAT: Final = "anyio-workflow/audit-envelope/v1"
LEAF_ENCODING = ("string", "string", "bytes32")


class AgentEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: str
    status: str
    attempts: int
    duration_ms: int | None = None
    output: Any = None
    error: str | None = None


class TxEntry(BaseModel):
    """A transaction the run sent: mined (with its receipt) or not (``status`` None)."""

    model_config = ConfigDict(frozen=True)

    agent: str
    chain_id: int | str | None = None
    """An EVM chain id, or a CAIP-2 id (a Solana cluster's)."""
    hash: str
    status: int | None = None
    nonce: int | None = None
    block_number: int | None = None
    gas_used: int | None = None
    effective_gas_price: int | None = None
    fee_paid: int | None = None
    replaced: list[str] = []
    strategy: str | None = None
    """The fee strategy the transaction was priced with."""


class AuditRecord(BaseModel):
    """The body of an audit record (the envelope signs its CID)."""

    model_config = ConfigDict(frozen=True)

    format: Literal["anyio-workflow/audit-record/v1"] = RECORD_FORMAT
    run_id: str
    status: str
    task: dict[str, Any]
    config: dict[str, Any]
    agents: list[AgentEntry]
    transactions: list[TxEntry]
    recorded_at_ms: int
    duration_ms: int
    merkle_root: str
    leaf_encoding: list[str] = list(LEAF_ENCODING)
    previous: CID | None = None
    """The envelope CID of this auditor's previous record, or ``None`` for its first."""

    def to_ipld(self) -> dict[str, Any]:
        data: dict[str, Any] = ipld_safe(self.model_dump(mode="json", exclude={"previous"}))
        data["previous"] = self.previous  # a link, not a string
        return data

    def encode(self) -> bytes:
        return dag_json_encode(self.to_ipld())

    @property
    def cid(self) -> CID:
        return CID.of(self.encode(), "dag-json")

    @classmethod
    def decode(cls, raw: bytes) -> AuditRecord:
        data = dag_json_decode(raw)
        if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
            raise AnyioWorkflowError(f"not an audit record (format {RECORD_FORMAT!r} expected)")
        return cls.model_validate(data)


class Envelope(BaseModel):
    """The signed, published form: ``{"record": <CID>, "auditor": ..., "signature": ...}``."""

    model_config = ConfigDict(frozen=True)

    format: Literal["anyio-workflow/audit-envelope/v1"] = ENVELOPE_FORMAT
    record: CID
    auditor: str
    signature: str

    def encode(self) -> bytes:
        return dag_json_encode(
            {"format": self.format, "record": self.record, "auditor": self.auditor,
             "signature": self.signature}
        )  # fmt: skip

    @property
    def cid(self) -> CID:
        return CID.of(self.encode(), "dag-json")

    @classmethod
    def decode(cls, raw: bytes) -> Envelope:
        data = dag_json_decode(raw)
        if not isinstance(data, dict) or data.get("format") != ENVELOPE_FORMAT:
            raise AnyioWorkflowError(f"not an audit envelope (format {ENVELOPE_FORMAT!r})")
        return cls.model_validate(data)

    def signer(self) -> str:
        """The address that made the signature (recovered, not the claimed one)."""
        message = encode_defunct(text=str(self.record))
        recovered: str = Account.recover_message(message, signature=self.signature)
        return recovered


def sign_record(record: AuditRecord, signer: Signer) -> Envelope:
    """The envelope of ``record``: the auditor's EIP-191 signature over its CID."""
    signature = signer.sign_message(str(record.cid))
    return Envelope(record=record.cid, auditor=signer.address, signature="0x" + signature.hex())


def ipld_safe(value: Any) -> Any:
    """``value`` with every integer outside 64 bits as its decimal string: IPLD integers
    are 64-bit, and wei amounts often are not."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, dict):
        return {k: ipld_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [ipld_safe(v) for v in value]
    return value


def _digest(entry: BaseModel) -> str:
    return "0x" + keccak256(dag_json_encode(ipld_safe(entry.model_dump(mode="json")))).hex()


def record_leaves(
    run_id: str, agents: Sequence[AgentEntry], transactions: Sequence[TxEntry]
) -> list[list[str]]:
    """The Merkle leaves of a record: ``[kind, id, digest]`` per agent and transaction
    (a run with neither has one leaf, ``["run", run_id, keccak(run_id)]``)."""
    leaves = [["agent", a.name, _digest(a)] for a in agents]
    leaves += [["tx", f"{t.chain_id}:{t.hash}", _digest(t)] for t in transactions]
    return leaves or [["run", run_id, "0x" + keccak256(run_id.encode()).hex()]]


def _sealed(outcome: Any, reveal: dict[str, Any]) -> Any:
    """An agent's output as IPLD data, with its personal fields sealed."""
    output = _jsonable(outcome.output)
    if isinstance(output, dict) and "personal" in output:
        output = seal(output, reveal.setdefault("agents", {}).setdefault(outcome.agent, {}))
    return output


def _jsonable(value: Any) -> Any:
    """An output as IPLD data: pydantic models and dataclasses as dicts, the rest as text."""
    try:
        data = ipld_safe(to_jsonable_python(value, fallback=str))
    except (TypeError, ValueError):
        return str(value)
    try:
        dag_json_encode(data)
    except ValueError:
        return str(data)
    return data


def _error_text(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, AnyioWorkflowError):
        return f"{type(error).__name__}: {error.short_message}"
    return type(error).__name__  # a foreign message may hold anything: its type only


@dataclass
class AuditSummary:
    """What ``result.audit`` gives: the CIDs, the root, and a proof per leaf id."""

    cid: CID
    """The envelope's CID: what was stored, anchored, and what ``verify`` takes."""
    record_cid: CID
    root: str
    record: AuditRecord
    envelope: Envelope
    tree: StandardMerkleTree
    proofs: dict[str, list[str]] = field(default_factory=dict)
    """``"agent:<name>"`` or ``"tx:<chain>:<hash>"`` -> the Merkle proof of that leaf."""
    stored: bool = False
    anchor_tx: str | None = None
    anchor_error: str | None = None
    salts: Path | None = None
    """The file the salts and values of the run's personal fields were kept in (off
    chain): what ``anyio-workflow verify --reveal`` takes; delete it to erase them."""
    where: str | None = None
    """Where it was stored: a directory's path (what ``verify --store`` takes), or the
    kind of store."""

    def __repr__(self) -> str:
        return f"<AuditSummary cid={self.cid} root={self.root} stored={self.stored}>"


def _followed(
    agent: str, chain_id: int | str, tx_hash: str, receipt: Mapping[str, Any] | None
) -> TxEntry:
    """The entry of a transaction its agent stopped waiting for, with its receipt if one
    was found afterwards."""
    if receipt is None:
        return TxEntry(agent=agent, chain_id=chain_id, hash=tx_hash)
    number = _quantity(receipt.get("blockNumber"))
    gas, price = _quantity(receipt.get("gasUsed")), _quantity(receipt.get("effectiveGasPrice"))
    return TxEntry(
        agent=agent, chain_id=chain_id, hash=tx_hash, status=_quantity(receipt.get("status")),
        block_number=number, gas_used=gas, effective_gas_price=price,
        fee_paid=gas * price if gas is not None and price is not None else None,
    )  # fmt: skip


def _quantity(value: Any) -> int | None:
    if isinstance(value, str):
        return int(value, 16)
    return value if isinstance(value, int) else None


def build_record(
    *,
    run_id: str,
    status: str,
    task: dict[str, Any],
    config: dict[str, Any],
    outcomes: Iterable[Any],
    duration: float,
    previous: CID | None,
    sent: Iterable[tuple[str, int | str, str]] = (),
    followed: Mapping[str, Mapping[str, Any]] | None = None,
    reveal: dict[str, Any] | None = None,
) -> tuple[AuditRecord, StandardMerkleTree]:
    """The record of a run from its outcomes (``AgentOutcome``), and its Merkle tree.

    ``sent`` is every transaction the run's senders sent (``(agent, chain_id, hash)``):
    those no outcome reports (their agent failed, or was cancelled before its receipt) are
    listed too: with what its receipt in ``followed`` says (a receipt found after the
    agent stopped waiting), else with no status. Nothing the run sent is missing.

    Personal fields (listed under ``"personal"`` in the task's params or in an agent's
    output: :mod:`anyio_workflow.audit.personal`) go in as salted commitments; their
    salts and values are put in ``reveal`` (``{"task": {...}, "agents": {name: {...}}}``),
    for the user to keep off chain."""
    reveal = reveal if reveal is not None else {}
    task = dict(task)
    if isinstance(task.get("params"), Mapping):
        task["params"] = seal(task["params"], reveal.setdefault("task", {}))
    agents: list[AgentEntry] = []
    transactions: list[TxEntry] = []
    sent = list(sent)
    chains = {tx_hash: chain for _agent, chain, tx_hash in sent}
    for outcome in outcomes:
        receipts = list(receipts_in(outcome.output))
        for receipt in receipts:
            transactions.append(
                TxEntry(
                    agent=outcome.agent, chain_id=receipt.chain_id, hash=receipt.hash,
                    status=receipt.status, nonce=receipt.nonce,
                    block_number=receipt.block_number, gas_used=receipt.gas_used,
                    effective_gas_price=receipt.effective_gas_price,
                    fee_paid=receipt.fee_paid, replaced=list(receipt.replaced),
                    strategy=receipt.strategy,
                )
            )  # fmt: skip
        landed = [r for r in flatten_output(outcome.output) if isinstance(r, SolanaReceipt)]
        for sol in landed:  # Solana: the signature, slot, and the cluster's CAIP-2 id
            transactions.append(
                TxEntry(agent=outcome.agent, chain_id=sol.chain_id, hash=sol.hash,
                        status=sol.status, block_number=sol.slot, replaced=list(sol.replaced),
                        strategy=sol.strategy)
            )  # fmt: skip
        receipts += landed  # type: ignore[arg-type]
        error = outcome.error
        if isinstance(error, TransactionError):  # sent, then failed: the hashes stay
            mined = error.receipt
            for tx_hash in error.hashes:
                transactions.append(
                    TxEntry(
                        agent=outcome.agent,
                        chain_id=mined.chain_id if mined else chains.get(tx_hash),
                        hash=tx_hash,
                        status=mined.status if mined and mined.hash == tx_hash else None,
                    )
                )
        duration_ms = None if outcome.duration is None else round(outcome.duration * 1000)
        agents.append(
            AgentEntry(
                name=outcome.agent, role=str(outcome.role), status=str(outcome.status),
                attempts=len(outcome.attempts), duration_ms=duration_ms,
                output=None if receipts else _sealed(outcome, reveal),
                error=_error_text(error),
            )
        )  # fmt: skip
    listed = {t.hash for t in transactions}
    followed = followed or {}
    for agent, chain_id, tx_hash in sent:
        if tx_hash not in listed:
            transactions.append(_followed(agent, chain_id, tx_hash, followed.get(tx_hash)))
            listed.add(tx_hash)
    leaves = record_leaves(run_id, agents, transactions)
    tree = StandardMerkleTree.of(leaves, LEAF_ENCODING)
    record = AuditRecord(
        run_id=run_id,
        status=status,
        task=_jsonable(task),
        config=_jsonable(config),
        agents=agents,
        transactions=transactions,
        recorded_at_ms=int(time.time() * 1000),
        duration_ms=round(duration * 1000),
        merkle_root=tree.root,
        previous=previous,
    )
    return record, tree


def proofs_by_id(tree: StandardMerkleTree) -> dict[str, list[str]]:
    ids = [f"{kind}:{leaf_id}" for _, (kind, leaf_id, _) in tree.entries()]
    return dict(zip(ids, tree.get_proofs(), strict=True))
