"""Any contract function: :class:`ContractCallAgent`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.fees import GasStrategy
from ..core.task import Task
from ..errors import InvalidArgument
from ..evm.abi import Function, function
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.tx import TxRequest
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import require_code, resolve_signer

__all__ = ["ContractCallAgent"]


class ContractCallAgent(BaseAgent[AgentContext]):
    """Calls ``fn`` (a human-readable signature, or a name found in ``abi``) on ``to``
    with ``args``. Simulated first: a revert raises ``ExecutionReverted`` with its decoded
    reason and nothing is sent. ``read_only=True`` only calls (``eth_call``) and returns
    the decoded output: the value itself for a function with one output (as
    ``contract.functions.f().call()`` does), a tuple for several, ``None`` for none;
    otherwise the output is the :class:`TxReceipt`.

    Cancellation: before the broadcast nothing is sent; after it, the call stays sent
    and only the wait for its receipt is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        to: str,
        fn: str,
        args: Sequence[Any] = (),
        *,
        abi: Sequence[Mapping[str, Any]] | None = None,
        value: int = 0,
        read_only: bool = False,
        chain_id: int | None = None,
        signer: Signer | None = None,
        strategy: GasStrategy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name or f"call:{fn.split('(')[0]}")
        self.to = to_checksum(to)
        self.function: Function = function(fn, abi)
        self.args = tuple(args)
        self.data = self.function.calldata(*self.args)  # bad arguments fail now
        if value < 0:
            raise InvalidArgument(f"value: must not be negative, got {value}")
        self.value = value
        self.read_only = read_only
        self.chain_id = chain_id
        self.signer = signer
        self.strategy = strategy
        """The fee strategy of this agent's transactions; the workflow's when ``None``."""

    async def execute(self, task: Task, ctx: AgentContext) -> Any:
        chain_id = self.chain_id or ctx.chain_id
        if self.read_only:
            raw = await ctx.eth(chain_id).call({"to": self.to, "data": self.data})
            values = self.function.decode_output(raw)
            if len(self.function.outputs) <= 1:
                return values[0] if values else None
            return values
        if self.data != "0x":  # a function call to no contract would "succeed" doing nothing
            await require_code(ctx.eth(chain_id), self.to, "to")
        sender = ctx.sender(resolve_signer(self.signer, ctx), chain_id, strategy=self.strategy)
        return await sender.send(TxRequest(to=self.to, value=self.value, data=self.data))
