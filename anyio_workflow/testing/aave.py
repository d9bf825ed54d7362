"""An Aave V3 market on a local chain, from the real bytecode (``@aave/core-v3`` 1.19.3),
deployed the way Aave's own deploy scripts do: the addresses provider, the ACL manager,
the Pool behind its proxy (its seven logic libraries deployed and linked), the pool
configurator (its library linked), the oracle over price feeds (Aave's own
``MockAggregator``), the protocol data provider, and a reserve per token with its aToken,
debt tokens and interest-rate strategy, configured as collateral and borrowable.

    market = await deploy_aave(sender, [Reserve(usdc, price=1), Reserve(weth, price=2000)])

Amounts and parameters are Aave's own units: prices in USD with 8 decimals, LTV and
liquidation thresholds in basis points, rates in ray (1e27).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..core.exact import scaled
from ..evm.address import to_checksum
from ..evm.contract import Contract
from ..evm.tx import TxSender
from ..protocols.aave import AaveV3
from ..protocols.artifacts import protocol_artifact

__all__ = ["Reserve", "deploy_aave"]

RAY = 10**27
LIBRARIES = ("SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic",
             "PoolLogic")  # fmt: skip
"""The Pool's libraries that link nothing; FlashLoanLogic links BorrowLogic."""


@dataclass(frozen=True)
class Reserve:
    """A token to list: its price in USD, and its risk parameters (basis points)."""

    token: str
    price: Decimal | int | str
    ltv: int = 8_000
    liquidation_threshold: int = 8_500
    liquidation_bonus: int = 10_500
    borrowable: bool = True
    rates: dict[str, int] = field(default_factory=lambda: {
        "optimal": 90 * RAY // 100, "base": 0, "slope1": 4 * RAY // 100,
        "slope2": 60 * RAY // 100,
    })  # fmt: skip


async def deploy_aave(
    sender: TxSender, reserves: list[Reserve], *, market_id: str = "anyio-workflow"
) -> AaveV3:
    """Deploy an Aave V3 market listing ``reserves`` through ``sender`` (its account is
    the market's owner, pool admin and treasury).

    Cancellation: what was deployed stays deployed; the market is not returned."""
    eth, owner = sender.eth, sender.signer.address
    art = protocol_artifact
    provider_address = await art("PoolAddressesProvider").deploy(sender, market_id, owner)
    provider = Contract(provider_address, art("PoolAddressesProvider").abi, eth)
    await sender.send(provider.functions.setACLAdmin(owner))
    acl_address = await art("ACLManager").deploy(sender, provider_address)
    await sender.send(provider.functions.setACLManager(acl_address))
    acl = Contract(acl_address, art("ACLManager").abi, eth)
    await sender.send(acl.functions.addPoolAdmin(owner))
    # The Pool: its libraries first (FlashLoanLogic links BorrowLogic), then it, linked.
    libraries = {name: await art(name).deploy(sender) for name in LIBRARIES}
    libraries["FlashLoanLogic"] = await art("FlashLoanLogic").linked(libraries).deploy(sender)
    pool_impl = await art("Pool").linked(libraries).deploy(sender, provider_address)
    await sender.send(provider.functions.setPoolImpl(pool_impl))
    configurator_logic = await art("ConfiguratorLogic").deploy(sender)
    configurator_impl = (
        await art("PoolConfigurator")
        .linked({"ConfiguratorLogic": configurator_logic})
        .deploy(sender)
    )
    await sender.send(provider.functions.setPoolConfiguratorImpl(configurator_impl))
    pool_address = to_checksum(await provider.functions.getPool().call())
    configurator = Contract(await provider.functions.getPoolConfigurator().call(),
                            art("PoolConfigurator").abi, eth)  # fmt: skip
    feeds = [await art("AaveMockAggregator").deploy(sender, int(scaled(Decimal(r.price), 8)))
             for r in reserves]  # fmt: skip
    oracle = await art("AaveOracle").deploy(sender, provider_address,
                           [r.token for r in reserves], feeds, "0x" + "00" * 20,
                           "0x" + "00" * 20, 10**8)  # fmt: skip
    await sender.send(provider.functions.setPriceOracle(oracle))
    data_provider = await art("AaveProtocolDataProvider").deploy(sender, provider_address)
    await sender.send(provider.functions.setPoolDataProvider(data_provider))
    a_token = await art("AToken").deploy(sender, pool_address)
    stable_debt = await art("StableDebtToken").deploy(sender, pool_address)
    variable_debt = await art("VariableDebtToken").deploy(sender, pool_address)
    inputs = []
    for reserve in reserves:
        rates = reserve.rates
        strategy = await art("DefaultReserveInterestRateStrategy").deploy(
            sender, provider_address, rates["optimal"], rates["base"], rates["slope1"],
            rates["slope2"], 0, 0, 0, 0, RAY // 5,
        )  # fmt: skip
        erc20 = Contract(reserve.token, _ERC20_META, eth)
        symbol = await erc20.functions.symbol().call()
        decimals = await erc20.functions.decimals().call()
        inputs.append((a_token, stable_debt, variable_debt, decimals, strategy, reserve.token,
                       owner, "0x" + "00" * 20, f"Aave {symbol}", f"a{symbol}",
                       f"Aave variable debt {symbol}", f"variableDebt{symbol}",
                       f"Aave stable debt {symbol}", f"stableDebt{symbol}", b""))  # fmt: skip
    await sender.send(configurator.functions.initReserves(inputs))
    for reserve in reserves:
        await sender.send(configurator.functions.configureReserveAsCollateral(
            reserve.token, reserve.ltv, reserve.liquidation_threshold,
            reserve.liquidation_bonus))  # fmt: skip
        if reserve.borrowable:
            await sender.send(configurator.functions.setReserveBorrowing(reserve.token, True))
    return AaveV3(provider=provider_address, pool=pool_address, oracle=oracle,
                  data_provider=data_provider, feeds=dict(zip([r.token for r in reserves],
                                                             feeds, strict=True)))  # fmt: skip


_ERC20_META = [
    {"type": "function", "name": "symbol", "inputs": [], "stateMutability": "view",
     "outputs": [{"name": "", "type": "string"}]},
    {"type": "function", "name": "decimals", "inputs": [], "stateMutability": "view",
     "outputs": [{"name": "", "type": "uint8"}]},
]  # fmt: skip
