"""What the examples share: a devnet with a funded treasury, and contract deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anyio_workflow.contracts import deploy
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc

MINT = function("mint(address,uint256)")
BALANCE_OF = function("balanceOf(address) returns (uint256)")


@dataclass
class Setup:
    """A devnet, its treasury signer, and the addresses the example deployed."""

    devnet: EvmDevnet
    treasury: LocalSigner
    contracts: dict[str, str]

    @property
    def chain_id(self) -> int:
        return self.devnet.chain_id


async def setup(
    chain_id: int, name: str, contracts: dict[str, tuple[Any, ...]], *, usdc: int = 0
) -> Setup:
    """An embedded devnet with ``contracts`` deployed by its treasury (account 0), and,
    with ``usdc``, a 6-decimal test USDC of which the treasury holds that many base units."""
    devnet = EvmDevnet(chain_id=chain_id, name=name)
    treasury = LocalSigner("0x" + devnet.accounts[0].key.hex())  # a public test key
    deployed: dict[str, str] = {}
    async with devnet.client() as client:
        sender = TxSender(EthRpc(client), treasury, chain_id)
        if usdc:
            deployed["usdc"] = await deploy(sender, "TestToken", "Test USDC", "USDC", 6)
            data = MINT.calldata(treasury.address, usdc)
            await sender.send(TxRequest(to=deployed["usdc"], data=data))
        for label, (contract, *args) in contracts.items():
            args = [deployed.get(a, a) if isinstance(a, str) else a for a in args]
            deployed[label] = await deploy(sender, contract, *args)
    return Setup(devnet, treasury, deployed)


async def token_balance(devnet: EvmDevnet, token: str, owner: str) -> int:
    async with devnet.client() as client:
        raw = await EthRpc(client).call({"to": token, "data": BALANCE_OF.calldata(owner)})
    return int.from_bytes(raw, "big")
