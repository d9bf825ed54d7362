"""MEV protection: an agent's transactions go to a private relay, never to the public
node, with the fallback the user chose (issue 18). The relay is a double served over
JSON-RPC on loopback; it hands what it takes to the chain directly, as a block builder
would, so that the public endpoint the run talks to sees only reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
from eth_utils.crypto import keccak

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig
from anyio_workflow.agents import AgentContext, BaseAgent
from anyio_workflow.core.protection import FLASHBOTS_PROTECT, PrivateRelay
from anyio_workflow.core.task import Task
from anyio_workflow.devnet.jsonrpc import JsonRpcApp
from anyio_workflow.devnet.serve import serve_asgi
from anyio_workflow.evm import LocalSigner, TxReceipt, TxRequest
from anyio_workflow.rpc import EthRpc
from anyio_workflow.rpc.transport import HttpTransport, Payload, Transport

from ..nodes import Chain

VENDOR = "0x" + "7e" * 20


class Relay:
    """Takes transactions (``eth_sendRawTransaction``, ``eth_sendPrivateTransaction``),
    keeps them, and, while ``including``, has the chain mine them."""

    def __init__(self, *, including: bool = True) -> None:
        self.app = JsonRpcApp()
        self.received: list[dict[str, Any]] = []
        self.pending: list[str] = []
        self.including = including

        @self.app.method("eth_sendRawTransaction")
        def raw(params: list[Any]) -> str:
            return self._take(params[0], None)

        @self.app.method("eth_sendPrivateTransaction")
        def private(params: list[Any]) -> str:
            return self._take(params[0]["tx"], int(params[0]["maxBlockNumber"], 16))

    def _take(self, raw: str, max_block: int | None) -> str:
        self.received.append({"raw": raw, "max_block": max_block})
        self.pending.append(raw)
        return "0x" + keccak(hexstr=raw).hex()

    async def build(self, chain: Chain) -> None:
        """Hand what it holds to the chain, as a builder would (not through the public
        endpoint the run uses)."""
        async with chain.node.client() as client:
            eth = EthRpc(client)
            while True:
                while self.including and self.pending:
                    await eth.send_raw_transaction(self.pending.pop(0))
                await anyio.sleep(0.02)


class Watched(Transport):
    """The public node, with every method the run called on it kept."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.endpoint = inner.endpoint
        self.raw_sent: list[str] = []

    async def send(self, payload: Payload) -> Any:
        for call in payload if isinstance(payload, list) else [payload]:
            if call["method"] == "eth_sendRawTransaction":
                self.raw_sent.append(call["params"][0])
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Payer(BaseAgent[AgentContext]):
    """Pays the vendor 1 gwei through ``ctx.sender``, with the protection it asks for."""

    def __init__(self, signer: LocalSigner, **protection: Any) -> None:
        super().__init__("payer", **protection)
        self.signer = signer

    async def execute(self, task: Task, ctx: AgentContext) -> TxReceipt:
        sender = ctx.sender(self.signer, poll_interval=0.02)
        return await sender.send(TxRequest(to=VENDOR, value=10**9))


def _public(chain: Chain) -> Watched:
    inner = chain.rpc() if callable(chain.rpc) else HttpTransport(str(chain.url))
    return Watched(inner)


async def _run(chain: Chain, relay: Relay, public: Watched, **protection: Any) -> Any:
    """A run of one :class:`Payer` whose ``private_rpc`` is the relay, served here."""
    signer = LocalSigner("0x" + chain.node.accounts[0].key.hex())
    async with serve_asgi(relay.app) as url, anyio.create_task_group() as tg:
        tg.start_soon(relay.build, chain)
        workflow = AsyncWorkflow(
            [Payer(signer, private_rpc=url, **protection)],
            AsyncWorkflowConfig(auto_store_proofs=False),
            rpc={chain.node.chain_id: lambda: public},
        )
        result = await workflow.run("pay", chain_id=chain.node.chain_id)
        tg.cancel_scope.cancel()
    return result


async def test_a_private_send_never_reaches_the_public_node(chain: Chain) -> None:
    relay, public = Relay(), _public(chain)
    result = await _run(chain, relay, public)
    assert result.ok, result.error
    (receipt,) = result
    (taken,) = relay.received
    assert "0x" + keccak(hexstr=taken["raw"]).hex() == receipt.hash  # the relay's bytes
    assert public.raw_sent == []  # the public node never saw it before it was mined
    async with chain.node.client() as client:
        assert await EthRpc(client).get_balance(VENDOR) == 10**9


async def test_a_relays_own_method_gets_a_max_block_number(chain: Chain) -> None:
    relay, public = Relay(), _public(chain)
    async with chain.node.client() as client:
        head = await EthRpc(client).block_number()
    result = await _run(chain, relay, public, private_method="eth_sendPrivateTransaction",
                        private_blocks=7)  # fmt: skip
    assert result.ok, result.error
    (taken,) = relay.received
    assert head + 7 <= taken["max_block"] <= head + 8 and public.raw_sent == []


async def test_after_its_blocks_a_public_fallback_sends_the_same_bytes(chain: Chain) -> None:
    relay, public = Relay(including=False), _public(chain)  # a relay that never delivers

    async def blocks() -> None:  # the chain goes on without the transaction
        async with chain.node.client() as client:
            while True:
                await client.request("evm_mine", [])
                await anyio.sleep(0.1)

    async with anyio.create_task_group() as tg:
        tg.start_soon(blocks)
        result = await _run(chain, relay, public, private_blocks=2, private_fallback="public")
        tg.cancel_scope.cancel()
    assert result.ok, result.error
    (receipt,) = result
    assert relay.received and public.raw_sent  # private first, then public
    assert public.raw_sent[0] == relay.received[0]["raw"]  # the very same bytes
    assert receipt.hash in {"0x" + keccak(hexstr=r["raw"]).hex() for r in relay.received}


class MEVResistantAgent(BaseAgent):
    """The seed's agent, as it is written there."""

    def __init__(self) -> None:
        super().__init__(
            flashbots=True,  # Use Flashbots RPC
            max_slippage=0.3,  # 0.3% slippage tolerance
            frontrun_protection=True,
        )


def test_the_seeds_mev_resistant_agent_runs_as_written() -> None:
    agent = MEVResistantAgent()
    assert agent.protection is not None and agent.protection.relay is not None
    assert agent.protection.relay.url == FLASHBOTS_PROTECT
    assert agent.protection.max_slippage == Decimal("0.3")
    assert agent.protection.frontrun_protection
    assert agent.name == "MEVResistantAgent"
    secret = PrivateRelay(url="https://user:hunter2@relay.example/v1/abcdef0123456789")
    assert "hunter2" not in repr(secret) and "abcdef0123456789" not in repr(secret)
