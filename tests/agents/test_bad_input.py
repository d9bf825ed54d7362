"""Bad input stops before anything is signed, and nothing reports success that did
nothing (issue 14): on the embedded devnet and on anvil, both backends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, CustomFees, RunStatus
from anyio_workflow.agents import ContractCallAgent, Erc20TransferAgent, NativeTransferAgent
from anyio_workflow.agents.helpers import base_units
from anyio_workflow.devnet import EvmDevnet
from anyio_workflow.errors import (
    InvalidArgument,
    JsonRpcError,
    TransactionError,
    WrongChainError,
)
from anyio_workflow.evm import LocalSigner, TxRequest, TxSender
from anyio_workflow.rpc import EthRpc, FaultInjectingTransport, JsonRpcClient

from ..nodes import Chain, transact

# Init code that deploys a "token" whose every call returns true and emits nothing.
SILENT = "0x600a600c600039600a6000f3" + "600160005260206000f3"


def workflow(chain: Chain, agents: list[Any], **options: Any) -> AsyncWorkflow:
    signer = LocalSigner("0x" + chain.node.accounts[1].key.hex())
    return AsyncWorkflow(
        agents, AsyncWorkflowConfig(auto_store_proofs=False, **options),
        rpc={chain.node.chain_id: chain.rpc}, signer=signer,
    )  # fmt: skip


async def test_a_node_of_another_chain_is_refused_before_anything_is_signed() -> None:
    devnet = EvmDevnet(chain_id=1337)
    signer = LocalSigner("0x" + devnet.accounts[0].key.hex())
    faults = FaultInjectingTransport(devnet.transport())
    async with JsonRpcClient(faults) as client:
        sender = TxSender(EthRpc(client), signer, 1)  # the task says chain 1
        with pytest.raises(WrongChainError, match="serves chain 1337, expected chain 1"):
            await sender.send(TxRequest(to=devnet.accounts[1].address, value=1))
    assert sender.journal == []
    assert "eth_sendRawTransaction" not in [method for method, _ in faults.log]


async def test_a_transfer_the_node_says_can_never_succeed_is_not_retried(chain: Chain) -> None:
    poor = LocalSigner("0x" + "77" * 32)
    agent = NativeTransferAgent(chain.node.accounts[3].address, 10**18, signer=poor)
    result = await workflow(chain, [agent]).run("pay", chain_id=chain.node.chain_id)
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, JsonRpcError) and not result.error.transient
    assert "insufficient funds" in str(result.error).lower()
    assert len(result.outcomes[0].attempts) == 1  # permanent: one attempt, not three


async def test_a_token_address_without_code_fails_before_sending(chain: Chain) -> None:
    nobody = "0x" + "12" * 20
    agents = [Erc20TransferAgent(nobody, chain.node.accounts[3].address, 5)]
    result = await workflow(chain, agents).run("pay", chain_id=chain.node.chain_id)
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, InvalidArgument)
    assert "has no contract code" in str(result.error)
    call = ContractCallAgent(nobody, "poke(uint256)", [1])
    result = await workflow(chain, [call]).run("poke", chain_id=chain.node.chain_id)
    assert "has no contract code" in str(result.error)


async def test_a_token_transfer_without_a_transfer_event_is_a_failure(chain: Chain) -> None:
    node = chain.node
    async with node.client() as client:
        eth = EthRpc(client)
        receipt = await transact(node, eth, None, bytes.fromhex(SILENT[2:]), sender=2)
        silent = receipt["contractAddress"]
        assert await eth.get_code(silent)
    agents = [Erc20TransferAgent(silent, node.accounts[3].address, 5)]
    result = await workflow(chain, agents).run("pay", chain_id=node.chain_id)
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, TransactionError)
    assert "without a Transfer event" in str(result.error)
    assert result.error.receipt is not None and result.error.receipt.status == 1


def test_amounts_and_fees_are_checked_locally() -> None:
    with pytest.raises(InvalidArgument, match="does not fit in a uint256"):
        base_units(2**256, 18)
    with pytest.raises(InvalidArgument, match="does not fit in a uint256"):
        base_units("1e80 ETH", 18)
    with pytest.raises(ValueError, match="less than or equal to"):
        TxRequest(to="0x" + "11" * 20, value=2**256)
    with pytest.raises(ValueError, match="the tip is part of the max fee"):
        CustomFees(1, 2)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        CustomFees(-1, 0)


@given(
    whole=st.integers(0, 10**40),
    fraction=st.integers(0, 10**18 - 1),
)
def test_amounts_of_any_size_scale_exactly_never_rounded(whole: int, fraction: int) -> None:
    # Decimal's default context keeps 28 digits: an amount of 12 billion of an 18-decimal
    # token with a fraction was once paid rounded.
    text = f"{whole}.{fraction:018d}"
    assert base_units(Decimal(text), 18, uint256=False) == whole * 10**18 + fraction
    assert base_units(f"{text} ETH", 18, unit="ETH", uint256=False) == whole * 10**18 + fraction
