"""SPL Token instructions, written from the programs' interfaces (solders has the account
layouts, not the instruction builders): ``transfer_checked`` and the associated token
account's idempotent ``create``.
"""

from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from ..errors import InvalidArgument, NotFound
from .client import SolanaRpc

__all__ = [
    "ASSOCIATED_TOKEN_PROGRAM",
    "SYSTEM_PROGRAM",
    "TOKEN_PROGRAM",
    "associated_token_address",
    "create_associated_token_account",
    "mint_decimals",
    "token_holding",
    "transfer_checked",
]

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
_TRANSFER_CHECKED = 12  # the Token program's instruction index
_CREATE_IDEMPOTENT = 1  # the Associated Token Account program's


def associated_token_address(owner: Pubkey, mint: Pubkey) -> Pubkey:
    """The token account of ``owner`` for ``mint`` that wallets and programs expect."""
    return get_associated_token_address(owner, mint, TOKEN_PROGRAM)


def create_associated_token_account(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    """Create ``owner``'s associated token account for ``mint``, paid by ``payer``; a
    no-op when it exists (the idempotent form)."""
    accounts = [
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(associated_token_address(owner, mint), is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=False, is_writable=False),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(SYSTEM_PROGRAM, is_signer=False, is_writable=False),
        AccountMeta(TOKEN_PROGRAM, is_signer=False, is_writable=False),
    ]
    return Instruction(ASSOCIATED_TOKEN_PROGRAM, bytes([_CREATE_IDEMPOTENT]), accounts)


def transfer_checked(
    source: Pubkey, mint: Pubkey, destination: Pubkey, owner: Pubkey, amount: int, decimals: int
) -> Instruction:
    """Move ``amount`` base units of ``mint`` from ``source`` to ``destination`` (token
    accounts), signed by ``owner``; the program checks the mint and its ``decimals``."""
    if not 0 < amount < 2**64:
        raise InvalidArgument(f"amount: {amount} base units; between 1 and a u64")
    if not 0 <= decimals < 256:
        raise InvalidArgument(f"decimals: {decimals}")
    accounts = [
        AccountMeta(source, is_signer=False, is_writable=True),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(destination, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=True, is_writable=False),
    ]
    data = bytes([_TRANSFER_CHECKED]) + amount.to_bytes(8, "little") + bytes([decimals])
    return Instruction(TOKEN_PROGRAM, data, accounts)


async def mint_decimals(rpc: SolanaRpc, mint: Pubkey) -> int:
    """The mint's ``decimals``, read from its account. Cancellation: a read."""
    account = await rpc.get_account_info(str(mint))
    if account is None or account.owner != str(TOKEN_PROGRAM) or len(account.data) < 82:
        raise NotFound(f"mint: {mint} is not an SPL Token mint on this cluster")
    return account.data[44]


async def token_holding(rpc: SolanaRpc, owner: Pubkey, mint: Pubkey) -> int:
    """The base units of ``mint`` that ``owner`` holds in its associated token account;
    0 when it has none. Cancellation: reads only."""
    account = associated_token_address(owner, mint)
    if await rpc.get_account_info(str(account)) is None:
        return 0
    return (await rpc.get_token_account_balance(str(account))).amount
