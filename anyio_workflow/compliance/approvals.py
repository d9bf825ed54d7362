"""Owner approvals of a :class:`~anyio_workflow.compliance.SafeTx`, where they come from,
and which of them count.

An approval counts when its signature recovers to its signer, over this transaction's
digest (so: this Safe, this chain, this nonce, these fields), from an owner whose
approvals count, once per owner. Everything else is rejected with the reason:
:func:`tally` says which and why.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio
from pydantic import BaseModel, ConfigDict, field_validator

from ..errors import InvalidArgument
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from .safe import SafeTx, hex_bytes, pack_signatures, recover_lower

__all__ = [
    "Approval",
    "ApprovalSource",
    "CallbackApprovals",
    "DirectoryApprovals",
    "InMemoryApprovals",
    "Tally",
    "approval_of",
    "approve",
    "tally",
]


class Approval(BaseModel):
    """One owner's signature of one Safe transaction's digest."""

    model_config = ConfigDict(frozen=True)

    signer: str
    signature: bytes
    digest: bytes

    @field_validator("signer")
    @classmethod
    def _signer(cls, value: str) -> str:
        return to_checksum(value)

    @field_validator("signature", mode="before")
    @classmethod
    def _signature(cls, value: Any) -> Any:
        return hex_bytes(value, 65)

    @field_validator("digest", mode="before")
    @classmethod
    def _digest(cls, value: Any) -> Any:
        return hex_bytes(value, 32)

    def as_json(self, tx: SafeTx) -> dict[str, Any]:
        """The approval file's content: what a team passes around."""
        return {
            "safe": tx.safe, "chain_id": tx.chain_id, "nonce": tx.nonce,
            "digest": "0x" + self.digest.hex(), "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
        }  # fmt: skip


def approval_of(tx: SafeTx, raw: dict[str, Any]) -> Approval | None:
    """The approval an approval file's content (:meth:`Approval.as_json`) holds, or
    ``None`` when it is of another Safe, chain or nonce. Raises ``KeyError``,
    ``TypeError`` or ``ValueError`` (a pydantic ``ValidationError``) for malformed content."""
    if (raw["safe"].lower(), raw["chain_id"], raw["nonce"]) != (
        tx.safe.lower(), tx.chain_id, tx.nonce,
    ):  # fmt: skip
        return None  # another Safe's, chain's or nonce's: not this transaction's
    return Approval(signer=raw["signer"], signature=raw["signature"], digest=raw["digest"])


def approve(tx: SafeTx, signer: Signer) -> Approval:
    """``signer``'s approval of ``tx``."""
    return Approval(signer=signer.address, signature=tx.sign(signer), digest=tx.digest())


@runtime_checkable
class ApprovalSource(Protocol):
    """Where approvals come from.

    Cancellation: both methods are reads and waits; cancelled, nothing changed."""

    async def approvals(self, tx: SafeTx) -> list[Approval]:
        """The approvals there are now for ``tx`` (those of other transactions may be
        among them: :func:`tally` sorts them out)."""
        ...

    async def wait(self, seconds: float) -> None:
        """Return when new approvals may have come, or after ``seconds``."""
        ...


class InMemoryApprovals:
    """Approvals held in memory; :meth:`add` wakes whoever waits for them.

    Cancellation: :meth:`wait` is a plain wait; cancelled, nothing changed."""

    def __init__(self, approvals: Iterable[Approval] = ()) -> None:
        self._approvals = list(approvals)
        self._added: anyio.Event | None = None

    def add(self, approval: Approval) -> None:
        self._approvals.append(approval)
        if self._added is not None:
            self._added.set()
            self._added = None

    async def approvals(self, tx: SafeTx) -> list[Approval]:
        await anyio.lowlevel.checkpoint()
        return list(self._approvals)

    async def wait(self, seconds: float) -> None:
        if self._added is None:
            self._added = anyio.Event()
        with anyio.move_on_after(seconds):
            await self._added.wait()

    def __repr__(self) -> str:
        return f"<InMemoryApprovals {len(self._approvals)}>"


class DirectoryApprovals:
    """Approval files in a directory, one JSON file per signer and transaction
    (``{"safe", "chain_id", "nonce", "digest", "signer", "signature"}``), as a team would
    pass them around; files of other transactions are left alone. Read in a worker
    thread; :meth:`wait` looks again every ``poll`` seconds.

    Cancellation: a read abandoned leaves the directory as it was."""

    def __init__(self, path: str | Path, *, poll: float = 0.5) -> None:
        self.path = Path(path)
        self.poll = poll
        self.unreadable: list[tuple[str, str]] = []
        """Files that could not be read as approvals: (name, why)."""

    async def approvals(self, tx: SafeTx) -> list[Approval]:
        return await anyio.to_thread.run_sync(self._read, tx)

    def _read(self, tx: SafeTx) -> list[Approval]:
        found, unreadable = [], []
        for file in sorted(self.path.glob("*.json")):
            try:
                approval = approval_of(tx, json.loads(file.read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                unreadable.append((file.name, f"{type(exc).__name__}: {exc}"[:200]))
            else:
                if approval is not None:
                    found.append(approval)
        self.unreadable = unreadable
        return found

    def write(self, tx: SafeTx, approval: Approval) -> Path:
        """Write ``approval`` of ``tx`` as its file; its path."""
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{tx.safe[:10]}-{tx.chain_id}-{tx.nonce}-{approval.signer}.json"
        file = self.path / name
        file.write_text(json.dumps(approval.as_json(tx), indent=2) + "\n")
        return file

    async def wait(self, seconds: float) -> None:
        await anyio.sleep(min(self.poll, seconds))

    def __repr__(self) -> str:
        return f"<DirectoryApprovals {self.path}>"


class CallbackApprovals:
    """Approvals from ``fn(tx)``, awaited each time they are asked for (a service of the
    user's: a signing queue, a wallet's API); :meth:`wait` asks again every ``poll``
    seconds.

    Cancellation: as ``fn``'s."""

    def __init__(
        self, fn: Callable[[SafeTx], Awaitable[Sequence[Approval]]], *, poll: float = 0.5
    ) -> None:
        self.fn = fn
        self.poll = poll

    async def approvals(self, tx: SafeTx) -> list[Approval]:
        return list(await self.fn(tx))

    async def wait(self, seconds: float) -> None:
        await anyio.sleep(min(self.poll, seconds))


@dataclass
class Tally:
    """Which approvals of a transaction count, and why the others do not."""

    tx: SafeTx
    threshold: int
    signers: tuple[str, ...]
    """The owners whose approvals count."""
    valid: dict[str, Approval] = field(default_factory=dict)
    rejected: list[tuple[Approval, str]] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return len(self.valid) >= self.threshold

    @property
    def missing(self) -> list[str]:
        """The owners whose approvals count and have not come."""
        return [s for s in self.signers if s not in self.valid]

    def signatures(self) -> bytes:
        """The valid signatures, packed in owner order, for ``execTransaction``."""
        return pack_signatures({o: a.signature for o, a in self.valid.items()})

    def explain(self) -> str:
        have = ", ".join(self.valid) or "none"
        text = (f"{len(self.valid)} of {self.threshold} approvals of Safe transaction "
                f"{self.tx.safe} nonce {self.tx.nonce} (have: {have}; missing: "
                f"{', '.join(self.missing) or 'none'})")  # fmt: skip
        if self.rejected:
            text += "; not counted: " + "; ".join(
                f"{a.signer}: {why}" for a, why in self.rejected[:5]
            )
        return text


def tally(
    tx: SafeTx, approvals: Iterable[Approval], signers: Sequence[str], threshold: int
) -> Tally:
    """Sort ``approvals`` of ``tx`` into those that count (one per owner in ``signers``)
    and those that do not, each with its reason."""
    if threshold < 1:
        raise InvalidArgument(f"threshold: {threshold}; at least 1")
    result = Tally(tx, threshold, tuple(to_checksum(s) for s in signers))
    digest = tx.digest()
    allowed = {s.lower() for s in result.signers}
    for approval in approvals:
        signer = approval.signer.lower()
        if approval.digest != digest:
            why = "signed another transaction (another Safe, chain, nonce or content)"
        elif signer not in allowed:
            why = "not an owner whose approvals count"
        else:
            try:
                recovered = recover_lower(digest, approval.signature)
            except InvalidArgument as exc:
                why = exc.short_message
            else:
                if recovered != signer:
                    why = f"the signature is {to_checksum(recovered)}'s, not the signer's"
                elif approval.signer in result.valid:
                    why = "a second approval from the same owner"
                else:
                    result.valid[approval.signer] = approval
                    continue
        result.rejected.append((approval, why))
    return result
