"""What the built-in agents share, and agents of other packages may use: amounts in base
units, signers, token metadata."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import anyio

from ..core.exact import scaled as exact_scaled
from ..errors import InvalidArgument, NotFound
from ..evm.abi import function
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..rpc.eth import EthRpc
from .context import AgentContext

__all__ = ["Amount", "approval_lock", "base_units", "resolve_signer", "token_decimals"]

Amount = int | Decimal | str
"""Base units as an ``int``; whole units as a ``Decimal``; or a string that says its unit
(``"750000 DAI"``, ``"2.5 ETH"``)."""

DECIMALS = function("decimals() returns (uint8)")
SYMBOL = function("symbol() returns (string)")
BALANCE_OF = function("balanceOf(address) returns (uint256)")
TRANSFER = function("transfer(address,uint256) returns (bool)")
APPROVE = function("approve(address,uint256) returns (bool)")
ALLOWANCE = function("allowance(address,address) returns (uint256)")
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
"""keccak("Transfer(address,address,uint256)"): the event every ERC-20 and ERC-721 move emits."""


FORMS = (
    "give an int in base units (1500000), a Decimal in whole units (Decimal('1.5')), "
    "or a string with its unit ('1.5 USDC')"
)


def split_amount(amount: str, field: str = "amount") -> tuple[Decimal, str]:
    """``"750000 DAI"`` -> ``(Decimal("750000"), "DAI")``; a string without its unit is
    ambiguous (base units, or whole ones?) and refused."""
    parts = amount.split()
    if len(parts) != 2:
        raise InvalidArgument(f"{field}: {amount!r} does not say its unit: {FORMS}")
    number, unit = parts
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise InvalidArgument(f"{field}: not a number: {number!r} ({FORMS})") from None
    return value, unit


def base_units(
    amount: Amount,
    decimals: int,
    field: str = "amount",
    *,
    unit: str | None = None,
    uint256: bool = True,
) -> int:
    """``amount`` in base units: an ``int`` is taken as is; a ``Decimal`` is whole units,
    and may not have more decimal places than ``decimals``; a string says its unit
    (``"2.5 ETH"``), which must be ``unit`` when that is given. A bare number as a string
    is refused as ambiguous."""
    if isinstance(amount, bool | float):
        raise InvalidArgument(f"{field}: {amount!r} is not an amount: {FORMS}")
    if isinstance(amount, int):
        if amount < 0:
            raise InvalidArgument(f"{field}: must not be negative, got {amount}")
        if amount >= 2**256:
            raise InvalidArgument(f"{field}: {amount} does not fit in a uint256")
        return amount
    if isinstance(amount, str):
        value, said = split_amount(amount, field)
        if unit is not None and said.upper() != unit.upper():
            raise InvalidArgument(f"{field}: {amount!r} is in {said}, but this pays {unit}")
    elif isinstance(amount, Decimal):
        value = amount
    else:
        raise InvalidArgument(f"{field}: {amount!r} is not an amount: {FORMS}")
    if not value.is_finite() or value < 0:
        raise InvalidArgument(f"{field}: must be a finite, non-negative amount, got {amount}")
    scaled = exact_scaled(value, decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidArgument(
            f"{field}: {amount} has more decimal places than the token's {decimals}"
        )
    if uint256 and scaled >= 2**256:
        raise InvalidArgument(f"{field}: {amount} does not fit in a uint256 in base units")
    return int(scaled)


def resolve_signer(signer: Signer | None, ctx: AgentContext) -> Signer:
    """The agent's own signer, else the workflow's (``AsyncWorkflow(signer=...)``)."""
    if signer is not None:
        return signer
    if ctx.signer is None:
        raise NotFound(
            "signer: this agent has no signer of its own and AsyncWorkflow(signer=...) "
            "was not given one (from the command line: set ANYIO_WORKFLOW_PRIVATE_KEY, or "
            "give --keystore with ANYIO_WORKFLOW_KEYSTORE_PASSWORD)"
        )
    return ctx.signer


async def require_code(eth: EthRpc, address: str, what: str) -> None:
    """Raise :class:`InvalidArgument` when ``address`` holds no contract: a call to it would
    "succeed" and do nothing. Cancellation: a read; cancelled, nothing changed."""
    if not await eth.get_code(address):
        raise InvalidArgument(f"{what}: {address} has no contract code on this chain")


async def token_decimals(eth: EthRpc, token: str) -> int:
    """The token's ``decimals()``. Cancellation: a read; cancelled, nothing changed."""
    raw = await eth.call({"to": to_checksum(token), "data": DECIMALS.calldata()})
    (decimals,) = DECIMALS.decode_output(raw)
    return int(decimals)


async def token_symbol(eth: EthRpc, token: str) -> str:
    """The token's ``symbol()``. Cancellation: a read; cancelled, nothing changed."""
    raw = await eth.call({"to": to_checksum(token), "data": SYMBOL.calldata()})
    (symbol,) = SYMBOL.decode_output(raw)
    return str(symbol)


async def token_balance(eth: EthRpc, token: str, owner: str) -> int:
    """``owner``'s balance of ``token``. Cancellation: a read; cancelled, nothing changed."""
    data = BALANCE_OF.encode(to_checksum(owner))
    raw = await eth.call({"to": to_checksum(token), "data": "0x" + data.hex()})
    return int(BALANCE_OF.decode_output(raw)[0])


def approval_lock(
    ctx: AgentContext, chain_id: int, owner: str, token: str, spender: str
) -> anyio.Lock:
    """The run's lock of ``owner``'s allowance of ``token`` for ``spender``: an approval
    sets the allowance, it does not add to it, so two agents that each approve their own
    amount and then spend it must do so one at a time."""
    key = f"allowance:{chain_id}:{owner}:{token}:{spender}"
    lock = ctx.state.get(key)
    if not isinstance(lock, anyio.Lock):
        lock = ctx.state[key] = anyio.Lock()
    return lock
