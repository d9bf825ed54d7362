"""``SolanaDevnet``: an in-process Solana VM (solders' LiteSVM) behind Solana JSON-RPC.

It answers the methods the library uses, in Solana's JSON-RPC shapes (``{"context":
{"slot": ...}, "value": ...}``) and error format (-32002 "Transaction simulation failed"
with the error and the logs in ``data``). Each landed transaction advances the slot by
one; statuses are reported ``finalized`` at once, since there is no fork to wait out.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from solders.hash import Hash
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import from_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from ..chains.caip import solana_id
from ..errors import InvalidArgument
from .jsonrpc import Executor, JsonRpcApp, RpcFault
from .serve import Devnet

__all__ = ["SolanaDevnet"]

VALID_BLOCKS = 150  # a blockhash stays valid this many blocks, as on Solana
LAMPORTS_PER_SIGNATURE = 5_000  # Solana's base fee
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _pubkey(value: Any) -> Pubkey:
    if not isinstance(value, str):
        raise InvalidArgument("expected a base58 public key")
    return Pubkey.from_string(value)


def _lands(err: str) -> bool:
    """Whether a transaction that failed this way lands (its fee paid, its failure in its
    status), as on a cluster: an instruction failed, or the rent check after them; a
    transaction that could not be loaded (no fee payer funds, a bad signature...) never
    does."""
    return "InstructionError" in err or "InsufficientFundsForRent" in err


def _error_json(err: Any) -> Any:
    """A transaction error in Solana's JSON form, as far as solders shows it."""
    text = str(err)
    name = text.split("(", 1)[0].split(" ", 1)[0].strip()
    return {name: text} if name and name != text else text


class SolanaDevnet(Devnet):
    """An embedded Solana devnet; ``async with devnet.client() as client`` reaches it.

    :param accounts: keypairs funded at start (``funded``), each with ``lamports``.
    """

    def __init__(
        self,
        *,
        accounts: int = 3,
        lamports: int = 100 * 10**9,
        executor: Executor = "inline",
        name: str = "solana",
    ) -> None:
        # Blockhashes are checked here, as a cluster does: any of the recent ones is valid
        # for VALID_BLOCKS slots (LiteSVM alone knows only its latest one, which would
        # refuse every transaction but the first of a burst signed at once).
        self.svm = LiteSVM().with_blockhash_check(False)
        self._blockhashes: dict[str, int] = {}  # blockhash -> the slot it was issued at
        self.name = name
        # No genesis block here: a hash of its own, stable for a name, stands for it.
        seed = hashlib.sha256(f"anyio-workflow solana devnet {name}".encode()).digest()
        self.genesis_hash = str(Hash(seed))
        self.chain_id = solana_id(self.genesis_hash)
        """Its CAIP-2 id (``solana:`` and the first 32 characters of its genesis hash)."""
        self.funded: list[Keypair] = [Keypair() for _ in range(accounts)]
        for keypair in self.funded:
            self.svm.airdrop(keypair.pubkey(), lamports)
        self._statuses: dict[str, tuple[int, Any]] = {}
        self.app = JsonRpcApp(executor=executor)
        self._register()

    def create_mint(
        self,
        *,
        decimals: int = 6,
        holders: Mapping[str, int] | None = None,
        symbol: str | None = None,
        authority: str | None = None,
    ) -> str:
        """A new SPL Token mint, written into the chain's state as a genesis would write
        it, and ``holders`` (base58 wallets) given balances (base units) in their
        associated token accounts; its address. With ``symbol``, the symbol names it on
        this cluster (``SplTransferAgent("USDC", ...)``, ``"100 USDC"``). The mint
        authority is ``authority`` (default: the first funded account)."""
        from solders.account import Account
        from solders.token.state import Mint, TokenAccount, TokenAccountState

        from ..chains import register_token
        from ..solana.spl import TOKEN_PROGRAM, associated_token_address

        if not 0 <= decimals <= 18:
            raise InvalidArgument(f"decimals: {decimals}; between 0 and 18")
        holders = dict(holders or {})
        if any(type(v) is not int or not 0 <= v < 2**64 for v in holders.values()):
            raise InvalidArgument("holders: balances are base units, an int below 2**64")
        mint = Keypair().pubkey()
        owner = _pubkey(authority) if authority is not None else self.funded[0].pubkey()
        state = Mint(mint_authority=owner, supply=sum(holders.values()), decimals=decimals,
                     is_initialized=True, freeze_authority=None)  # fmt: skip
        accounts: list[tuple[Pubkey, bytes]] = [(mint, bytes(state))]
        for holder, amount in holders.items():
            wallet = _pubkey(holder)
            held = TokenAccount(mint=mint, owner=wallet, amount=amount, delegate=None,
                                state=TokenAccountState.Initialized, is_native=None,
                                delegated_amount=0, close_authority=None)  # fmt: skip
            accounts.append((associated_token_address(wallet, mint), bytes(held)))
        for address, data in accounts:
            rent = self.svm.minimum_balance_for_rent_exemption(len(data))
            account = Account(lamports=rent, data=data, owner=TOKEN_PROGRAM, executable=False)
            self.svm.set_account(address, account)
        if symbol is not None:
            register_token(self.chain_id, symbol, str(mint), decimals)
        return str(mint)

    @property
    def slot(self) -> int:
        return int(self.svm.get_clock().slot)

    def _context(self, value: Any) -> dict[str, Any]:
        return {"context": {"slot": self.slot, "apiVersion": "2.0.0"}, "value": value}

    def _register(self) -> None:
        m = self.app.methods
        m["getSlot"] = lambda p: self.slot
        m["getBlockHeight"] = lambda p: self.slot  # a block per slot here
        m["getBalance"] = lambda p: self._context(self.svm.get_balance(_pubkey(p[0])) or 0)
        m["getLatestBlockhash"] = self._latest_blockhash
        m["getMinimumBalanceForRentExemption"] = lambda p: int(
            self.svm.minimum_balance_for_rent_exemption(int(p[0]))
        )
        m["getAccountInfo"] = self._account_info
        m["requestAirdrop"] = self._airdrop
        m["sendTransaction"] = self._send_transaction
        m["getSignatureStatuses"] = self._signature_statuses
        m["getFeeForMessage"] = self._fee_for_message
        m["getRecentPrioritizationFees"] = self._prioritization_fees
        m["simulateTransaction"] = self._simulate_transaction
        m["getTokenAccountBalance"] = self._token_account_balance
        m["getGenesisHash"] = lambda p: self.genesis_hash
        m["getHealth"] = lambda p: "ok"
        m["getVersion"] = lambda p: {"solana-core": "litesvm", "feature-set": 0}

    def _fee_for_message(self, p: list[Any]) -> dict[str, Any]:
        try:
            message = from_bytes_versioned(base64.b64decode(p[0]))  # legacy or v0
        except Exception as exc:  # any decoding failure: not a message
            raise RpcFault(-32602, f"invalid message: {exc}") from None
        return self._context(LAMPORTS_PER_SIGNATURE * message.header.num_required_signatures)

    def _prioritization_fees(self, p: list[Any]) -> list[dict[str, int]]:
        """No other traffic here: every recent slot's fee is 0 (Solana's shape)."""
        return [{"slot": slot, "prioritizationFee": 0}
                for slot in range(max(0, self.slot - 4), self.slot + 1)]  # fmt: skip

    def _simulate_transaction(self, p: list[Any]) -> dict[str, Any]:
        tx = self._decode(p)
        if not self._known_blockhash(tx):  # a value, as a validator answers, not an error
            value = {"err": "BlockhashNotFound", "logs": [], "unitsConsumed": 0,
                     "accounts": None}  # fmt: skip
            return self._context(value)
        result = self.svm.simulate_transaction(tx)
        err = result.err() if isinstance(result, FailedTransactionMetadata) else None
        meta = result.meta()
        value = {
            "err": _error_json(err) if err is not None else None,
            "logs": list(meta.logs()),
            "unitsConsumed": int(meta.compute_units_consumed()),
            "accounts": None,
        }
        return self._context(value)

    def _token_account_balance(self, p: list[Any]) -> dict[str, Any]:
        account = self.svm.get_account(_pubkey(p[0]))
        if account is None or str(account.owner) != TOKEN_PROGRAM or len(account.data) < 72:
            raise RpcFault(-32602, "Invalid param: not a Token account")
        data = bytes(account.data)
        amount = int.from_bytes(data[64:72], "little")
        mint = self.svm.get_account(Pubkey(data[:32]))
        decimals = bytes(mint.data)[44] if mint is not None and len(mint.data) > 44 else 0
        shown = str(Decimal(amount) / (Decimal(10) ** decimals)) if decimals else str(amount)
        return self._context({"amount": str(amount), "decimals": decimals,
                              "uiAmountString": shown})  # fmt: skip

    def _known_blockhash(self, tx: VersionedTransaction) -> bool:
        issued = self._blockhashes.get(str(tx.message.recent_blockhash))
        return issued is not None and self.slot - issued <= VALID_BLOCKS

    def _check_blockhash(self, tx: VersionedTransaction) -> None:
        issued = self._blockhashes.get(str(tx.message.recent_blockhash))
        if issued is None or self.slot - issued > VALID_BLOCKS:
            raise RpcFault(
                -32002,
                "Transaction simulation failed: Blockhash not found",
                {"err": "BlockhashNotFound", "logs": []},
            )

    def _decode(self, p: list[Any]) -> VersionedTransaction:
        encoded = p[0]
        options = p[1] if len(p) > 1 and isinstance(p[1], dict) else {}
        encoding = options.get("encoding", "base58")
        try:
            raw = base64.b64decode(encoded) if encoding == "base64" else _b58decode(encoded)
            return VersionedTransaction.from_bytes(raw)
        except Exception as exc:  # any decoding failure: not a transaction
            raise RpcFault(-32602, f"invalid transaction: {exc}") from None

    def _latest_blockhash(self, p: list[Any]) -> dict[str, Any]:
        blockhash = str(self.svm.latest_blockhash())
        issued = self._blockhashes.get(blockhash)
        if issued is not None and issued != self.slot:  # a new slot: a new blockhash
            self.svm.expire_blockhash()
            blockhash = str(self.svm.latest_blockhash())
        self._blockhashes.setdefault(blockhash, self.slot)
        value = {
            "blockhash": blockhash,
            "lastValidBlockHeight": self.slot + VALID_BLOCKS,
        }
        return self._context(value)

    def _account_info(self, p: list[Any]) -> dict[str, Any]:
        account = self.svm.get_account(_pubkey(p[0]))
        if account is None:
            return self._context(None)
        value = {
            "lamports": account.lamports,
            "owner": str(account.owner),
            "data": [base64.b64encode(bytes(account.data)).decode(), "base64"],
            "executable": account.executable,
            "rentEpoch": account.rent_epoch,
            "space": len(bytes(account.data)),
        }
        return self._context(value)

    def _land(self, result: Any, signature: str | None = None) -> str:
        """Record a transaction's outcome and advance the slot. A failed transaction
        sent without preflight lands as a validator lands it: its fee is paid and its
        status holds the error. (An airdrop, ``signature=None``, raises instead.)"""
        if isinstance(result, FailedTransactionMetadata):
            err = _error_json(result.err())
            if signature is None or not _lands(str(result.err())):
                meta = result.meta()
                raise RpcFault(
                    -32002,
                    f"Transaction simulation failed: {result.err()}",
                    {"err": err, "logs": list(meta.logs()), "accounts": None,
                     "unitsConsumed": 0},
                )  # fmt: skip
            self._statuses[signature] = (self.slot, err)
            self.svm.warp_to_slot(self.slot + 1)
            self.svm.expire_blockhash()
            return signature
        signature = str(result.signature())
        self._statuses[signature] = (self.slot, None)
        self.svm.warp_to_slot(self.slot + 1)
        self.svm.expire_blockhash()
        return signature

    def _airdrop(self, p: list[Any]) -> str:
        lamports = int(p[1])
        if lamports <= 0:
            raise RpcFault(-32602, "Invalid params: lamports must be positive")
        return self._land(self.svm.airdrop(_pubkey(p[0]), lamports))

    def _send_transaction(self, p: list[Any]) -> str:
        tx = self._decode(p)
        options = p[1] if len(p) > 1 and isinstance(p[1], dict) else {}
        self._check_blockhash(tx)
        signature = str(tx.signatures[0])
        if signature in self._statuses:
            raise RpcFault(
                -32002,
                "Transaction simulation failed: This transaction has already been processed",
                {"err": "AlreadyProcessed", "logs": []},
            )
        if not options.get("skipPreflight", False):  # preflight: refused, nothing lands
            trial = self.svm.simulate_transaction(tx)
            if isinstance(trial, FailedTransactionMetadata):
                err = _error_json(trial.err())
                raise RpcFault(
                    -32002,
                    f"Transaction simulation failed: {trial.err()}",
                    {"err": err, "logs": list(trial.meta().logs()), "accounts": None,
                     "unitsConsumed": int(trial.meta().compute_units_consumed())},
                )  # fmt: skip
        return self._land(self.svm.send_transaction(tx), signature)

    def _signature_statuses(self, p: list[Any]) -> dict[str, Any]:
        signatures = p[0]
        if not isinstance(signatures, list) or len(signatures) > 256:
            raise RpcFault(-32602, "Invalid params: up to 256 signatures")
        values: list[Any] = []
        for text in signatures:
            Signature.from_string(text)  # validates the form
            status = self._statuses.get(text)
            if status is None:
                values.append(None)
                continue
            slot, err = status
            values.append(
                {
                    "slot": slot,
                    "confirmations": None,
                    "err": err,
                    "status": {"Ok": None} if err is None else {"Err": err},
                    "confirmationStatus": "finalized",
                }
            )
        return self._context(values)
