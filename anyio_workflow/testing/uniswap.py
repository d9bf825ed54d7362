"""Uniswap V3 on a local chain, from the real bytecode (``@uniswap/v3-core`` 1.0.1 and
``@uniswap/v3-periphery`` 1.4.4): :func:`deploy_uniswap` deploys the factory, the
SwapRouter, QuoterV2 and the NonfungiblePositionManager; :func:`create_pool` creates a
pool, initializes it at a price and adds full-range liquidity through the position
manager, as a liquidity provider would.

    uni = await deploy_uniswap(sender)
    pool = await create_pool(sender, uni, usdc, weth, price=Decimal("0.0005"),
                             amount_a=2_000_000 * 10**6, amount_b=1_000 * 10**18)

WETH9 is not part of either package: the periphery contracts take its address and call
it only to wrap or unwrap ether, which these helpers never do; :func:`deploy_uniswap`
passes the project's test ERC-20 (``TestToken``, named "Wrapped Ether (test)") there
unless ``weth=`` names another. The position manager gets no token descriptor (it is
called only by ``tokenURI``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ..contracts import deploy
from ..evm.abi import ERC20_ABI
from ..evm.address import to_checksum
from ..evm.contract import Contract
from ..evm.tx import TxSender
from ..protocols.artifacts import protocol_artifact
from ..protocols.uniswap import UniswapV3, full_range, sort_tokens, sqrt_price_x96

__all__ = ["Pool", "create_pool", "deploy_uniswap"]

ZERO = "0x" + "00" * 20


async def deploy_uniswap(sender: TxSender, *, weth: str | None = None) -> UniswapV3:
    """Deploy Uniswap V3's factory and periphery through ``sender``.

    Cancellation: contracts deployed stay deployed; the rest are not."""
    factory = await protocol_artifact("UniswapV3Factory").deploy(sender)
    if weth is None:
        weth = await deploy(sender, "TestToken", "Wrapped Ether (test)", "WETH", 18)
    return UniswapV3(
        factory=factory,
        router=await protocol_artifact("SwapRouter").deploy(sender, factory, weth),
        quoter=await protocol_artifact("QuoterV2").deploy(sender, factory, weth),
        positions=await protocol_artifact("NonfungiblePositionManager").deploy(
            sender, factory, weth, ZERO
        ),
    )


@dataclass(frozen=True, slots=True)
class Pool:
    """A pool :func:`create_pool` made: its address, tokens (sorted) and fee tier."""

    address: str
    token0: str
    token1: str
    fee: int
    liquidity: int


async def create_pool(
    sender: TxSender,
    uniswap: UniswapV3,
    token_a: str,
    token_b: str,
    *,
    price: Decimal | Fraction | str,
    amount_a: int,
    amount_b: int,
    fee: int = 3000,
) -> Pool:
    """A pool of ``token_a`` and ``token_b`` (the ``fee`` tier), initialized at ``price``
    (whole ``token_b`` per whole ``token_a``), with full-range liquidity of up to
    ``amount_a`` and ``amount_b`` (base units, from ``sender``'s account, which must hold
    them) minted through the position manager.

    Cancellation: what was sent stays sent (a pool created, approvals given)."""
    eth, owner = sender.eth, sender.signer.address
    contracts = uniswap.contracts(eth)
    positions = contracts["positions"]
    token0, token1 = sort_tokens(token_a, token_b)
    flipped = token0 != to_checksum(token_a)
    decimals = {t: await Contract(t, ERC20_ABI, eth).functions.decimals().call()
                for t in (token0, token1)}  # fmt: skip
    given = price if isinstance(price, Fraction) else Fraction(Decimal(price))
    price01 = 1 / given if flipped else given
    start = sqrt_price_x96(price01, decimals[token0], decimals[token1])
    await sender.send(positions.functions.createAndInitializePoolIfNecessary(
        token0, token1, fee, start))  # fmt: skip
    amount0, amount1 = (amount_b, amount_a) if flipped else (amount_a, amount_b)
    for token, amount in ((token0, amount0), (token1, amount1)):
        erc20 = Contract(token, ERC20_ABI, eth)
        await sender.send(erc20.functions.approve(positions.address, amount))
    low, high = full_range(fee)
    deadline = await eth.block_timestamp() + 3_600
    await sender.send(positions.functions.mint(
        (token0, token1, fee, low, high, amount0, amount1, 0, 0, owner, deadline)))  # fmt: skip
    address = await contracts["factory"].functions.getPool(token0, token1, fee).call()
    liquidity = await uniswap.pool(address, eth).functions.liquidity().call()
    return Pool(to_checksum(address), token0, token1, fee, liquidity)
