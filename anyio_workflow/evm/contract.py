"""Contract objects from a JSON ABI: ``Contract(address, abi, eth)``.

    token = Contract(usdc, ERC20_ABI, eth)
    balance = await token.functions.balanceOf(owner).call()
    receipt = await sender.send(token.functions.transfer(vendor, 10**6))
    moved = token.events.Transfer.process_receipt(receipt)
    history = await token.events.Transfer.get_logs(from_block=0, filters={"to": vendor})

``contract.functions.NAME(*args)`` is a :class:`ContractCall`: a
:class:`~anyio_workflow.evm.tx.TxRequest` (what a sender sends) that can also be
``call()``-ed (``eth_call``, its outputs decoded). An overloaded name is chosen by its
argument count, or named by its signature: ``contract.functions["f(uint256)"]``.
``contract.events.NAME`` decodes logs of that event and queries them (``eth_getLogs``,
indexed arguments as topic filters, paged by block range). The ABI's custom errors are
registered when the contract is made, so a revert says ``InsufficientBalance(...)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from pydantic import PrivateAttr

from ..errors import AbiError, InvalidArgument, NotFound
from .abi import Event, Function, decode_log, entry_types, register_errors
from .address import to_checksum
from .tx import TxReceipt, TxRequest

if TYPE_CHECKING:
    from ..rpc.eth import EthRpc

__all__ = ["Contract", "ContractCall", "ContractEvent", "load_abi"]

AbiLike = Sequence[Mapping[str, Any]] | Mapping[str, Any] | str | PathLike[str]


def load_abi(source: AbiLike) -> list[dict[str, Any]]:
    """A JSON ABI from a list of entries, an artifact (a mapping with ``"abi"``), JSON
    text, or a file holding either."""
    found: Any = source
    if isinstance(source, PathLike) or (
        isinstance(source, str) and not source.lstrip().startswith(("[", "{"))
    ):
        try:
            with open(source, encoding="utf-8") as handle:
                found = json.load(handle)
        except (OSError, ValueError) as exc:
            raise InvalidArgument(f"abi: cannot read {source!s} ({type(exc).__name__})") from None
    elif isinstance(source, str):
        try:
            found = json.loads(source)
        except ValueError:
            raise InvalidArgument("abi: not JSON") from None
    if isinstance(found, Mapping):
        found = found.get("abi")  # an artifact
    if isinstance(found, str | bytes) or not isinstance(found, Sequence):
        raise InvalidArgument("abi: expected a list of ABI entries (or an artifact with one)")
    if not all(isinstance(entry, Mapping) for entry in found):
        raise InvalidArgument("abi: every entry must be an object")
    return [dict(entry) for entry in found]


class ContractCall(TxRequest):
    """One function call: a :class:`TxRequest` to send, or ``await call()`` to read."""

    _function: Function = PrivateAttr()
    _eth: EthRpc | None = PrivateAttr(default=None)

    @property
    def function(self) -> Function:
        return self._function

    async def call(self, block: int | str = "latest", *, sender: str | None = None) -> Any:
        """The function's outputs at ``block`` through ``eth_call``: one value as itself,
        several as a tuple, none as ``None``.

        Cancellation: a read; cancelled, nothing changed."""
        if self._eth is None:
            raise NotFound("this contract has no client: Contract(address, abi, eth)")
        request: dict[str, Any] = {"to": self.to, "data": self.data}
        if self.value:
            request["value"] = hex(self.value)
        if sender is not None:
            request["from"] = to_checksum(sender)
        outputs = self._function.decode_output(await self._eth.call(request, block))
        if not outputs:
            return None
        return outputs[0] if len(outputs) == 1 else outputs


class _Functions:
    def __init__(self, contract: Contract) -> None:
        self._contract = contract

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._contract.function(name)

    def __getitem__(self, name: str) -> Any:
        return self._contract.function(name)

    def __dir__(self) -> list[str]:
        return sorted({e["name"] for e in self._contract.abi if e.get("type") == "function"})


class ContractEvent:
    """One event of a contract: decode its logs, find them in receipts, query them."""

    def __init__(self, contract: Contract, entry: Mapping[str, Any]) -> None:
        self.contract = contract
        self.entry = dict(entry)
        self.name = str(entry["name"])
        inputs = entry.get("inputs", [])
        self.signature = f"{self.name}({','.join(entry_types(inputs))})"
        self.topic = "0x" + keccak(text=self.signature).hex()
        self.indexed = [p for p in inputs if p.get("indexed")]

    def decode(self, log: Mapping[str, Any]) -> Event:
        return decode_log(log, [self.entry])

    def process_receipt(self, receipt: TxReceipt | Mapping[str, Any]) -> list[Event]:
        """This event's logs in ``receipt`` emitted by this contract, decoded."""
        logs = receipt.logs if isinstance(receipt, TxReceipt) else receipt.get("logs", ())
        return [self.decode(log) for log in logs if self._ours(log)]

    def _ours(self, log: Mapping[str, Any]) -> bool:
        topics = log.get("topics") or []
        return (bool(topics) and str(topics[0]).lower() == self.topic
                and to_checksum(str(log.get("address"))) == self.contract.address)  # fmt: skip

    def topics(self, filters: Mapping[str, Any] | None = None) -> list[Any]:
        """The topic filter: this event, then each indexed argument named in ``filters``
        (a value, or a list of values any of which matches), ``None`` for any."""
        filters = dict(filters or {})
        topics: list[Any] = [self.topic]
        for param in self.indexed:
            wanted = filters.pop(param["name"], None)
            if wanted is None:
                topics.append(None)
                continue
            values = wanted if isinstance(wanted, list | tuple) else [wanted]
            encoded = ["0x" + encode([str(param["type"])], [v]).hex() for v in values]
            topics.append(encoded[0] if len(encoded) == 1 else encoded)
        if filters:
            raise InvalidArgument(
                f"filters: {sorted(filters)} are not indexed arguments of {self.signature}"
            )
        while topics and topics[-1] is None:
            topics.pop()
        return topics

    async def get_logs(
        self,
        *,
        from_block: int = 0,
        to_block: int | None = None,
        filters: Mapping[str, Any] | None = None,
        page: int = 2_000,
    ) -> list[Event]:
        """This event's logs from ``from_block`` to ``to_block`` (the latest block by
        default), decoded, in chain order; asked ``page`` blocks at a time (nodes cap a
        query's range).

        Cancellation: reads; cancelled, nothing changed."""
        eth = self.contract.eth
        if eth is None:
            raise NotFound("this contract has no client: Contract(address, abi, eth)")
        if page < 1:
            raise InvalidArgument(f"page: {page}; at least one block")
        last = await eth.block_number() if to_block is None else to_block
        topics = self.topics(filters)
        found: list[Event] = []
        for start in range(from_block, last + 1, page):
            logs = await eth.get_logs({
                "address": self.contract.address, "topics": topics,
                "fromBlock": hex(start), "toBlock": hex(min(last, start + page - 1)),
            })  # fmt: skip
            found += [self.decode(log) for log in logs]
        return found


class _Events:
    def __init__(self, contract: Contract) -> None:
        self._contract = contract

    def __getattr__(self, name: str) -> ContractEvent:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._contract.event(name)

    def __dir__(self) -> list[str]:
        return sorted({e["name"] for e in self._contract.abi if e.get("type") == "event"})


class Contract:
    """A deployed contract: its address, its ABI, and (for reads) a client.

    :param address: the contract's address.
    :param abi: a list of ABI entries, an artifact, JSON text, or a file.
    :param eth: the typed client reads go through (``ctx.eth(chain)``); sends go through
        a sender, which takes the calls as they are.
    """

    def __init__(self, address: str, abi: AbiLike, eth: EthRpc | None = None) -> None:
        self.address = to_checksum(address)
        self.abi = load_abi(abi)
        self.eth = eth
        register_errors(self.abi)  # its reverts decode by name

    @property
    def functions(self) -> Any:
        """``functions.NAME(*args)``: a :class:`ContractCall` (a typed subclass made by
        :func:`~anyio_workflow.evm.codegen.contract_module` says which, with which
        arguments)."""
        return _Functions(self)

    @property
    def events(self) -> Any:
        """``events.NAME``: a :class:`ContractEvent`."""
        return _Events(self)

    def function(self, name: str) -> Any:
        """A factory of :class:`ContractCall` for ``name`` (or a full signature)."""
        entries = [e for e in self.abi if e.get("type", "function") == "function"]
        if "(" in name:
            chosen = [e for e in entries if _signature(e) == name.replace(" ", "")]
        else:
            chosen = [e for e in entries if e.get("name") == name]
        if not chosen:
            raise AbiError(f"{name}: no such function in the ABI of {self.address}")

        def bind(*args: Any, value: int = 0, gas: int | None = None) -> ContractCall:
            fitting = [e for e in chosen if len(e.get("inputs", [])) == len(args)]
            if len(fitting) != 1:
                options = ", ".join(_signature(e) for e in chosen)
                raise AbiError(
                    f"{name}: {len(args)} arguments fit {len(fitting)} of its overloads "
                    f"({options}); name one by its signature: functions['{_signature(chosen[0])}']"
                )
            entry = fitting[0]
            fn = Function(str(entry["name"]), entry_types(entry.get("inputs", [])),
                          entry_types(entry.get("outputs", [])))  # fmt: skip
            call = ContractCall(to=self.address, data=fn.calldata(*args), value=value, gas=gas)
            call._function = fn
            call._eth = self.eth
            return call

        return bind

    def event(self, name: str) -> ContractEvent:
        entries = [e for e in self.abi if e.get("type") == "event" and e.get("name") == name]
        if len(entries) != 1:
            found = "no" if not entries else f"{len(entries)} overloaded"
            raise AbiError(f"{name}: {found} events of that name in the ABI of {self.address}")
        return ContractEvent(self, entries[0])

    def with_client(self, eth: EthRpc) -> Contract:
        """The same contract, read through ``eth``."""
        return Contract(self.address, self.abi, eth)

    def __repr__(self) -> str:
        return f"<Contract {self.address}>"


def _signature(entry: Mapping[str, Any]) -> str:
    return f"{entry['name']}({','.join(entry_types(entry.get('inputs', [])))})"
