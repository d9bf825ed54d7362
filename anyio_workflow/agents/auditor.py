"""The :class:`AuditorAgent`: the run's signed, content-addressed, anchored record.

The auditor runs last (shielded, after success, failure or cancellation alike), builds
the run's :class:`~anyio_workflow.audit.AuditRecord`, signs it, and, with
``auto_store_proofs=True`` in the workflow's config, stores both blocks and pins the
envelope. With an :class:`~anyio_workflow.audit.AnchorTarget` it then anchors
``(merkle_root, cid)`` in an ``AuditAnchor`` contract's event: one transaction through
the EVM pipeline, on any chain the workflow has an RPC for (not necessarily the one the
work ran on). A failed anchor does not fail the audit: ``result.audit.anchor_error`` says
what happened, and ``anchor_tx`` keeps the hash if one was sent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from eth_account import Account

from ..audit.auditor import ANCHOR, AnchorTarget
from ..audit.record import AuditSummary, build_record, proofs_by_id, sign_record
from ..core.agent import BaseAgent
from ..core.roles import Role
from ..core.task import Task
from ..errors import AnyioWorkflowError, TransactionError
from ..evm.accounts import LocalSigner, Signer
from ..evm.tx import TxRequest
from ..storage.cid import CID
from ..storage.local import data_dir
from ..storage.stores import ContentStore, MemoryStore
from .context import AgentContext

__all__ = ["AuditorAgent", "default_signer"]


class AuditorAgent(BaseAgent[AgentContext]):
    """Builds, signs, stores and (optionally) anchors the run's audit record.

    ``signer`` signs the records; without one, the data directory's auditor key
    (:func:`default_signer`: one key per machine and user, kept across processes, so that
    every record made here is signed by one address ``verify --auditor`` can check; give a
    signer of your own to be verifiable against a key you manage). ``store`` defaults to
    the workflow's store
    (``AsyncWorkflow(store=...)``), then to an in-memory store of this agent's
    (``auditor.store``). Records of one auditor form a hash chain: each links the envelope
    CID of the one before.

    Cancellation: the auditor runs shielded, within ``audit_timeout``; past that, the
    record is not stored (and not anchored), and the run's result has no audit summary.
    """

    role = Role.AUDITOR

    def __init__(
        self,
        name: str | None = None,
        *,
        signer: Signer | None = None,
        store: ContentStore | None = None,
        anchor: AnchorTarget | None = None,
        salts: str | Path | None = None,
    ) -> None:
        super().__init__(name)
        self.salts = Path(salts) if salts is not None else None
        """Where the salts and values of personal fields go, one file per run (default:
        ``salts/`` in the user's data directory): the user's to keep, show an auditor,
        or delete."""
        self.signer: Signer = signer or default_signer()
        self.store: ContentStore | None = store
        self.anchor = anchor
        self.previous: CID | None = None
        """The envelope CID of the last record this auditor made."""
        self._lock = anyio.Lock()  # concurrent runs still make one chain

    def _store(self, ctx: AgentContext) -> ContentStore:
        if self.store is None:
            self.store = ctx.store or MemoryStore()
        return self.store

    async def execute(self, task: Task, ctx: AgentContext) -> AuditSummary:
        async with self._lock:
            reveal: dict[str, Any] = {}
            record, tree = build_record(
                run_id=ctx.run_id,
                status=ctx.status.value if ctx.status is not None else "unknown",
                task=task.model_dump(mode="json", exclude={"idempotency_key"}),
                config=ctx.config.model_dump(mode="json"),
                outcomes=[o for o in ctx.outcomes if o.role is not Role.AUDITOR],
                duration=ctx.elapsed(),
                previous=self.previous,
                sent=ctx.sent(),
                followed=ctx.followed,
                reveal=reveal,
            )
            envelope = sign_record(record, self.signer)
            summary = AuditSummary(
                cid=envelope.cid,
                record_cid=envelope.record,
                root=tree.root,
                record=record,
                envelope=envelope,
                tree=tree,
                proofs=proofs_by_id(tree),
            )
            if reveal:  # the salts, off chain, before the commitments go anywhere
                summary.salts = await anyio.to_thread.run_sync(
                    _keep_salts, self.salts or data_dir() / "salts", ctx.run_id, reveal
                )
            if ctx.config.auto_store_proofs:
                store = self._store(ctx)
                await store.put(record.encode(), codec="dag-json")
                await store.put(envelope.encode(), codec="dag-json")
                await store.pin(envelope.cid)
                await store.pin(envelope.record)
                summary.stored = True
                summary.where = _where(store)
            self.previous = envelope.cid
        if self.anchor is not None:
            await self._anchor(ctx, summary)
        return summary

    async def _anchor(self, ctx: AgentContext, summary: AuditSummary) -> None:
        target = self.anchor
        assert target is not None
        data = ANCHOR.calldata(bytes.fromhex(summary.root[2:]), str(summary.cid))
        sender = ctx.sender(target.signer, target.chain_id)
        try:
            receipt = await sender.send(TxRequest(to=target.address, data=data))
        except TransactionError as exc:
            summary.anchor_tx = exc.hashes[-1] if exc.hashes else None
            summary.anchor_error = exc.short_message
        except AnyioWorkflowError as exc:
            summary.anchor_error = exc.short_message
        else:
            summary.anchor_tx = receipt.hash


def _keep_salts(directory: Path, run_id: str, reveal: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run_id}.json"
    path.write_text(json.dumps({"run_id": run_id, **reveal}, indent=2, default=str) + "\n")
    path.chmod(0o600)
    return path


def _random_key() -> str:
    return bytes(Account.create().key).hex()


AUDITOR_KEY = "auditor.key"


def default_signer() -> LocalSigner:
    """The data directory's auditor key (``data_dir()/auditor.key``), made on first use:
    readable by its owner only (0600, whatever the umask, in a directory made 0700), and
    kept, so that the records of every process of this user on this machine are signed
    by one address. Two processes making it at once agree: the first link wins."""
    path = data_dir() / AUDITOR_KEY
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{AUDITOR_KEY}.{os.getpid()}.{_random_key()[:8]}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # the umask does not widen it
            os.write(fd, ("0x" + _random_key()).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)  # whole or absent; never replaced once there
        except FileExistsError:
            pass  # another process made it first: its key is the one
        finally:
            os.unlink(draft)
    return LocalSigner(path.read_text().strip())


def _where(store: ContentStore) -> str:
    """Where a record was stored, as a person would look for it: a directory's path, or
    the kind of store (never a URL, which may carry credentials)."""
    root = getattr(store, "root", None)
    return str(root) if root is not None else type(store).__name__
