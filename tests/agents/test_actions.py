"""Actions without hand-picked agents: the seed's best-practice example, and the registry."""

from __future__ import annotations

import pytest

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import BaseAgent
from anyio_workflow.errors import UnknownActionError
from anyio_workflow.evm import LocalSigner
from anyio_workflow.evm.abi import function
from anyio_workflow.rpc import EthRpc
from anyio_workflow.workflow.registry import known_actions, register_action, unregister_action

from ..nodes import Chain, deploy


async def test_the_seeds_best_practice_example_runs(chain: Chain) -> None:
    node = chain.node
    signer = LocalSigner("0x" + node.accounts[1].key.hex())
    async with node.client() as client:
        eth = EthRpc(client)
        nft = await deploy(node, eth, "TestNFT", "Badges", "BDG")
        workflow = AsyncWorkflow(
            config=AsyncWorkflowConfig(gas_strategy="eco"),
            rpc={node.chain_id: chain.rpc}, signer=signer, erc721=nft,
        )  # fmt: skip
        result = await workflow.run(
            "mint_erc721_batch", params={"count": 100}, chain_id=node.chain_id
        )
        assert result.ok, result.error
        raw = await eth.call({"to": nft, "data": "0x" + function("totalSupply()").encode().hex()})
        assert int.from_bytes(raw, "big") == 100
    # auto_store_proofs=True (the default): the workflow's own auditor recorded the run.
    assert result.audit is not None and result.audit.stored
    assert [r.hash for r in result] == [t.hash for t in result.audit.record.transactions]
    assert workflow.auditor is not None


async def test_transfer_and_batch_transfer_actions(chain: Chain) -> None:
    node = chain.node
    signer = LocalSigner("0x" + node.accounts[1].key.hex())
    vendors = ["0x" + f"{0xCAFE00 + i:040x}" for i in range(3)]
    async with node.client() as client:
        eth = EthRpc(client)
        batcher = await deploy(node, eth, "BatchPayer")
        workflow = AsyncWorkflow(rpc={node.chain_id: chain.rpc}, signer=signer)
        one = await workflow.run("transfer", params={"to": vendors[0], "amount": "0.5 ETH"},
                                 chain_id=node.chain_id)  # fmt: skip
        assert one.ok and await eth.get_balance(vendors[0]) == 5 * 10**17
        payouts = [{"to": v, "amount": 1000} for v in vendors]
        many = await workflow.run("batch_transfer", params={"payouts": payouts, "batcher": batcher},
                                  chain_id=node.chain_id)  # fmt: skip
        assert many.ok, many.error
        assert await eth.get_balance(vendors[2]) == 1000


async def test_an_unknown_action_lists_the_known_ones() -> None:
    with pytest.raises(UnknownActionError) as info:
        await AsyncWorkflow().run("mint_erc1155_batch", chain_id=1)
    for action in ("batch_transfer", "mint_erc721_batch", "transfer"):
        assert action in str(info.value)


async def test_a_missing_param_is_named() -> None:
    with pytest.raises(ValueError, match=r"params.count: the 'mint_erc721_batch' action needs it"):
        await AsyncWorkflow().run("mint_erc721_batch", chain_id=1)


async def test_users_register_their_own_actions() -> None:
    class Hello(BaseAgent):
        async def execute(self, task: object, ctx: object) -> str:
            return "hello"

    register_action("say_hello", lambda task: [Hello()])
    try:
        assert "say_hello" in known_actions()
        result = await AsyncWorkflow(config=AsyncWorkflowConfig(auto_store_proofs=False)).run(
            "say_hello", chain_id=1
        )
        assert list(result) == ["hello"] and result.audit is None
        with pytest.raises(ValueError, match="already registered"):
            register_action("transfer", lambda task: [Hello()])
    finally:
        unregister_action("say_hello")


def test_an_empty_agent_list_is_still_an_error() -> None:
    with pytest.raises(ValueError, match="Minimum 1 agent"):
        AsyncWorkflow([])
