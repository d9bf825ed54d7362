"""Uniswap V3 from its npm bytecode: the kept artifacts equal the pinned packages, the
price arithmetic is exact, and UniswapV3Agent swaps within its slippage bound on the
embedded devnet and on anvil, or the run says why not (issue 18)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import anyio
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents.uniswap import SwapReport, UniswapV3Agent
from anyio_workflow.contracts import artifact, deploy
from anyio_workflow.errors import InvalidArgument, Veto
from anyio_workflow.evm import Contract, LocalSigner, TxSender
from anyio_workflow.evm.abi import ERC20_ABI
from anyio_workflow.protocols import (
    FEE_TICK_SPACING,
    full_range,
    price_from_sqrt,
    sqrt_price_x96,
)
from anyio_workflow.rpc import EthRpc
from anyio_workflow.rpc.transport import Payload, Transport
from anyio_workflow.testing.uniswap import Pool, create_pool, deploy_uniswap

from ..nodes import Chain, Node

TOKEN_ABI = artifact("TestToken").abi  # the test ERC-20: mint, and the rest

USDC, WETH = 10**6, 10**18


@given(
    price=st.decimals(min_value=Decimal("1e-12"), max_value=Decimal("1e12"), places=12),
    decimals0=st.integers(0, 18),
    decimals1=st.integers(0, 18),
)
def test_sqrt_prices_round_trip_within_one_part_in_a_billion(
    price: Decimal, decimals0: int, decimals1: int
) -> None:
    if price <= 0:
        return
    sqrt = sqrt_price_x96(price, decimals0, decimals1)
    back = price_from_sqrt(sqrt, decimals0, decimals1)
    raw = Fraction(price) * Fraction(10) ** (decimals1 - decimals0)
    if raw < Fraction(1, 10**18) or raw > 10**30:  # outside what a uint160 root resolves
        return
    assert abs(back - Fraction(price)) / Fraction(price) < Fraction(1, 10**9)


@pytest.mark.parametrize("fee", sorted(FEE_TICK_SPACING))
def test_full_range_ticks_are_aligned_and_within_bounds(fee: int) -> None:
    low, high = full_range(fee)
    spacing = FEE_TICK_SPACING[fee]
    assert low == -high and high % spacing == 0 and high <= 887_272 < high + spacing


@pytest.fixture
def market_price() -> Decimal:
    return Decimal(2000)  # USDC per WETH


async def _market(chain: Chain, price: Decimal) -> dict[str, Any]:
    """Two test tokens, Uniswap V3 from npm, and a USDC/WETH pool at ``price``."""
    node = chain.node
    owner = LocalSigner("0x" + node.accounts[0].key.hex())
    async with node.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, owner, node.chain_id, poll_interval=0.01)
        usdc = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        weth = await deploy(sender, "TestToken", "Wrapped Ether (test)", "WETH", 18)
        for token, amount in ((usdc, 10**9 * USDC), (weth, 10**6 * WETH)):
            erc20 = Contract(token, TOKEN_ABI, eth)
            await sender.send(erc20.functions.mint(owner.address, amount))
        uni = await deploy_uniswap(sender, weth=weth)
        pool = await create_pool(
            sender,
            uni,
            weth,
            usdc,
            price=price,
            amount_a=1_000 * WETH,
            amount_b=int(price * 1_000) * USDC,
        )
    return {"owner": owner, "usdc": usdc, "weth": weth, "uniswap": uni, "pool": pool}


async def _balances(chain: Chain, market: dict[str, Any]) -> tuple[int, int]:
    async with chain.node.client() as client:
        eth = EthRpc(client)
        owner = market["owner"].address
        return (
            await Contract(market["usdc"], ERC20_ABI, eth).functions.balanceOf(owner).call(),
            await Contract(market["weth"], ERC20_ABI, eth).functions.balanceOf(owner).call(),
        )


def _workflow(chain: Chain, market: dict[str, Any], agent: UniswapV3Agent, rpc: Any = None) -> Any:
    return AsyncWorkflow(
        [agent],
        AsyncWorkflowConfig(auto_store_proofs=False),
        rpc={chain.node.chain_id: rpc or chain.rpc},
        signer=market["owner"],
    )


async def test_swaps_exact_in_and_exact_out_on_the_real_pool(
    chain: Chain, market_price: Decimal
) -> None:
    market = await _market(chain, market_price)
    pool: Pool = market["pool"]
    assert pool.liquidity > 0
    usdc0, weth0 = await _balances(chain, market)
    buy = UniswapV3Agent(
        market["usdc"],
        market["weth"],
        2_000 * USDC,
        max_slippage=0.5,
        uniswap=market["uniswap"],
        chain_id=chain.node.chain_id,
        name="buy",
    )
    result = await _workflow(chain, market, buy).run("swap", chain_id=chain.node.chain_id)
    assert result.ok, result.error
    report: SwapReport = result.outcome("buy").output
    usdc1, weth1 = await _balances(chain, market)
    assert usdc0 - usdc1 == report.amount_in == 2_000 * USDC  # exactly what it said
    assert weth1 - weth0 == report.amount_out >= report.limit
    assert report.amount_out == report.quoted  # nothing moved the pool in between
    # ~1 WETH for 2,000 USDC at 2,000, less the 0.3 % fee and the price impact
    assert Decimal("0.99") * WETH < report.amount_out < WETH
    assert len(report.receipts) == 2  # an approval for exactly this swap, then the swap
    sell = UniswapV3Agent(
        "0x" + market["weth"][2:],
        market["usdc"],
        1_000 * USDC,
        exact="out",
        uniswap=market["uniswap"],
        chain_id=chain.node.chain_id,
        name="sell",
    )
    result = await _workflow(chain, market, sell).run("swap", chain_id=chain.node.chain_id)
    assert result.ok, result.error
    sold: SwapReport = result.outcome("sell").output
    usdc2, weth2 = await _balances(chain, market)
    assert usdc2 - usdc1 == sold.amount_out == 1_000 * USDC
    assert weth1 - weth2 == sold.amount_in <= sold.limit


class FrontRunner(Transport):
    """The node, and a trader who swaps ``size`` USDC for WETH in the same pool once,
    just before the call ``trigger`` picks out reaches the node (default: our agent's
    second quote, between its quote and its send)."""

    def __init__(
        self,
        inner: Transport,
        chain: Chain,
        market: dict[str, Any],
        size: int,
        trigger: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.inner, self.chain, self.market, self.size = inner, chain, market, size
        self.endpoint = inner.endpoint
        self.quotes = 0
        self.trigger = trigger or self._second_quote
        self.fired = False

    def _second_quote(self, call: dict[str, Any]) -> bool:
        to = str(call["params"][0].get("to", "")) if call["method"] == "eth_call" else ""
        if to.lower() == self.market["uniswap"].quoter.lower():
            self.quotes += 1
        return self.quotes == 2

    async def send(self, payload: Payload) -> Any:
        for call in payload if isinstance(payload, list) else [payload]:
            if not self.fired and self.trigger(call):
                self.fired = True
                if self.size:
                    await self._front_run()
        return await self.inner.send(payload)

    async def _front_run(self) -> None:
        trader = LocalSigner("0x" + self.chain.node.accounts[1].key.hex())
        async with self.chain.node.client() as client:
            eth = EthRpc(client)
            sender = TxSender(
                eth, self.market["owner"], self.chain.node.chain_id, poll_interval=0.01
            )
            usdc = Contract(self.market["usdc"], ERC20_ABI, eth)
            await sender.send(usdc.functions.transfer(trader.address, self.size))
            trading = TxSender(eth, trader, self.chain.node.chain_id, poll_interval=0.01)
            router = self.market["uniswap"].contracts(eth)["router"]
            await trading.send(usdc.functions.approve(router.address, self.size))
            deadline = 2**40
            await trading.send(
                router.functions.exactInputSingle(
                    (
                        self.market["usdc"],
                        self.market["weth"],
                        3000,
                        trader.address,
                        deadline,
                        self.size,
                        0,
                        0,
                    )
                )
            )

    async def aclose(self) -> None:
        await self.inner.aclose()


def _transport(chain: Chain) -> Transport:
    from anyio_workflow.rpc.transport import HttpTransport

    return chain.rpc() if callable(chain.rpc) else HttpTransport(chain.url)


async def test_frontrun_protection_refuses_a_swap_whose_quote_moved(chain: Chain) -> None:
    market = await _market(chain, Decimal(2000))
    node = FrontRunner(_transport(chain), chain, market, 200_000 * USDC)  # moves it ~10 %
    agent = UniswapV3Agent(
        market["usdc"],
        market["weth"],
        2_000 * USDC,
        max_slippage=0.3,
        frontrun_protection=True,
        uniswap=market["uniswap"],
        chain_id=chain.node.chain_id,
        name="protected",
    )
    before = await _balances(chain, market)
    result = await _workflow(chain, market, agent, lambda: node).run(
        "swap", chain_id=chain.node.chain_id
    )
    assert not result.ok and isinstance(result.error, Veto)
    assert "the quote moved" in str(result.error) and "nothing was swapped" in str(result.error)
    usdc, weth = await _balances(chain, market)
    # Only the approval was sent: what left the account is what funded the front-runner.
    assert (usdc, weth) == (before[0] - 200_000 * USDC, before[1])


@pytest.mark.parametrize(
    "bad", [{"max_slippage": 100}, {"fee": 42}, {"exact": "both"}, {"deadline": 0}]
)
def test_bad_swaps_are_refused_naming_the_field(bad: dict[str, Any]) -> None:
    field = next(iter(bad))
    with pytest.raises(InvalidArgument, match=field):
        UniswapV3Agent("0x" + "11" * 20, "0x" + "22" * 20, 1, **bad)


async def test_concurrent_swaps_of_one_token_from_one_account_all_execute(chain: Chain) -> None:
    # An approval sets the allowance: swaps approving their own amounts at once would take
    # each other's, and all but one would revert.
    market = await _market(chain, Decimal(2000))
    usdc0, weth0 = await _balances(chain, market)
    agents = [
        UniswapV3Agent(
            market["usdc"],
            market["weth"],
            (100 + i) * USDC,
            uniswap=market["uniswap"],
            chain_id=chain.node.chain_id,
            name=f"s{i}",
        )
        for i in range(4)
    ]
    workflow = AsyncWorkflow(
        agents,
        AsyncWorkflowConfig(auto_store_proofs=False),
        rpc={chain.node.chain_id: chain.rpc},
        signer=market["owner"],
    )
    result = await workflow.run("swap", chain_id=chain.node.chain_id)
    assert result.ok, result.error
    reports = [result.outcome(f"s{i}").output for i in range(4)]
    usdc1, weth1 = await _balances(chain, market)
    assert usdc0 - usdc1 == sum((100 + i) * USDC for i in range(4))
    assert weth1 - weth0 == sum(r.amount_out for r in reports)
    assert all(r.amount_out >= r.limit for r in reports)


_SHARED_BY_BACKEND: dict[str, dict[str, Any]] = {}


async def _fresh_pool(price: Decimal, depth: int, backend: str) -> dict[str, Any]:
    """A new USDC/WETH pair and pool at ``price`` (USDC per WETH) with ``depth`` WETH of
    liquidity, on a devnet whose Uniswap deployment the examples of a backend share (a
    devnet's lock belongs to the event loop that first used it)."""
    from anyio_workflow.devnet import EvmDevnet

    _SHARED = _SHARED_BY_BACKEND.setdefault(backend, {})
    if not _SHARED:
        devnet = EvmDevnet()
        owner = LocalSigner("0x" + devnet.accounts[0].key.hex())
        async with devnet.client() as client:
            sender = TxSender(EthRpc(client), owner, devnet.chain_id, poll_interval=0.01)
            _SHARED.update(devnet=devnet, owner=owner, uniswap=await deploy_uniswap(sender))
    devnet, owner = _SHARED["devnet"], _SHARED["owner"]
    async with devnet.client() as client:
        eth = EthRpc(client)
        sender = TxSender(eth, owner, devnet.chain_id, poll_interval=0.01)
        usdc = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
        weth = await deploy(sender, "TestToken", "Wrapped Ether (test)", "WETH", 18)
        for token, amount in ((usdc, 10**15 * USDC), (weth, 10**9 * WETH)):
            await sender.send(Contract(token, TOKEN_ABI, eth).functions.mint(owner.address, amount))
        await create_pool(
            sender,
            _SHARED["uniswap"],
            weth,
            usdc,
            price=price,
            amount_a=depth * WETH,
            amount_b=int(price * depth) * USDC,
        )
    return {
        "devnet": devnet,
        "owner": owner,
        "usdc": usdc,
        "weth": weth,
        "uniswap": _SHARED["uniswap"],
    }


@given(
    price=st.integers(50, 50_000),
    size=st.integers(1, 2_000),  # WETH's worth of USDC, against a pool of 1,000 WETH
    slippage=st.sampled_from([Decimal("0.1"), Decimal("0.5"), Decimal("3")]),
    moved=st.sampled_from([0, 1, 50, 400]),  # a trader's WETH bought between quote and swap
    backend=st.sampled_from(["asyncio", "trio"]),
)
@example(price=2_000, size=100, slippage=Decimal("0.5"), moved=0, backend="asyncio")
@example(price=2_000, size=100, slippage=Decimal("0.1"), moved=400, backend="trio")
@settings(max_examples=12, deadline=None)
def test_a_swap_executes_within_its_slippage_bound_or_reverts_and_says_so(
    price: int, size: int, slippage: Decimal, moved: int, backend: str
) -> None:
    async def example() -> None:
        m = await _fresh_pool(Decimal(price), 1_000, backend)
        devnet, owner = m["devnet"], m["owner"]
        chain = Chain(
            Node("devnet", devnet.chain_id, devnet.accounts, devnet.client), devnet.transport, None
        )
        router = m["uniswap"].router.lower()

        def the_swaps_simulation(call: dict[str, Any]) -> bool:
            return (
                call["method"] == "eth_estimateGas"
                and str(call["params"][0].get("to", "")).lower() == router
            )

        node = FrontRunner(
            devnet.transport(),
            chain,
            {**m, "owner": owner},
            moved * price * USDC,
            the_swaps_simulation,
        )
        amount = size * price * USDC // 100  # a hundredth of a WETH's worth, times size
        agent = UniswapV3Agent(
            m["usdc"],
            m["weth"],
            amount,
            max_slippage=slippage,
            uniswap=m["uniswap"],
            chain_id=devnet.chain_id,
            name="swap",
        )
        async with devnet.client() as client:
            erc20 = Contract(m["weth"], ERC20_ABI, EthRpc(client))
            weth_before = await erc20.functions.balanceOf(owner.address).call()
        workflow = AsyncWorkflow(
            [agent],
            AsyncWorkflowConfig(auto_store_proofs=False),
            rpc={devnet.chain_id: lambda: node},
            signer=owner,
        )
        result = await workflow.run("swap", chain_id=devnet.chain_id)
        async with devnet.client() as client:
            erc20 = Contract(m["weth"], ERC20_ABI, EthRpc(client))
            gained = await erc20.functions.balanceOf(owner.address).call() - weth_before
        event("executed" if result.ok else "reverted")
        if result.ok:
            report: SwapReport = result.outcome("swap").output
            assert report.amount_in == amount and report.amount_out >= report.limit
            assert report.limit == report.quoted * (100 - slippage) // 100 or report.limit == int(
                Fraction(report.quoted) * (1 - Fraction(slippage) / 100)
            )
            # the front-runner bought WETH with the owner's USDC; the owner got the rest
            assert gained == report.amount_out
        else:  # the pool refused to execute worse than the bound: the run says so
            assert "Too little received" in str(result.error), result.error
            assert gained == 0  # nothing swapped for the owner

    anyio.run(example, backend=backend)
