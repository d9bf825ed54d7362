"""The built-in actions: what ``AsyncWorkflow(config=...).run(action, params=...)`` does
when the workflow was built without agents.

=====================  ==========================================================
action                 params
=====================  ==========================================================
``transfer``           ``to``, ``amount`` (base units, or with its unit: ``"0.5 ETH"``), ``token``
                       (an ERC-20; the chain's coin without it)
``batch_transfer``     ``payouts`` (``[{"to", "amount"}, ...]``), ``token``, ``batcher``
``mint_erc721_batch``  ``count``, ``contract`` (else the ``erc721`` service), ``to``
``contract_call``      ``to``, ``function`` (a signature), ``args``, ``value``
=====================  ==========================================================

The paying key is the workflow's ``signer`` service; a workflow with
``auto_store_proofs=True`` also gets an auditor (see ``AsyncWorkflow``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..core.agent import BaseAgent
from ..core.task import Task
from ..errors import InvalidArgument
from .batch import BatchTransferAgent
from .contract import ContractCallAgent
from .nft import Erc721BatchMintAgent
from .transfer import Erc20TransferAgent, NativeTransferAgent

__all__ = ["BUILTINS"]


def _param(task: Task, name: str) -> Any:
    try:
        return task.params[name]
    except KeyError:
        given = ", ".join(sorted(task.params)) or "none"
        raise InvalidArgument(
            f"params.{name}: the {task.action!r} action needs it (given: {given})"
        ) from None


def _transfer(task: Task) -> Sequence[BaseAgent[Any]]:
    token = task.params.get("token")
    to, amount = _param(task, "to"), _param(task, "amount")
    if token:
        return [Erc20TransferAgent(token, to, amount, name="transfer")]
    return [NativeTransferAgent(to, amount, name="transfer")]


def _batch_transfer(task: Task) -> Sequence[BaseAgent[Any]]:
    return [
        BatchTransferAgent(
            _param(task, "payouts"),
            token=task.params.get("token"),
            batcher=task.params.get("batcher"),
            name="batch_transfer",
        )
    ]


def _mint(task: Task) -> Sequence[BaseAgent[Any]]:
    return [
        Erc721BatchMintAgent(
            _param(task, "count"),
            task.params.get("contract"),
            to=task.params.get("to"),
            name="mint_erc721_batch",
        )
    ]


def _contract_call(task: Task) -> Sequence[BaseAgent[Any]]:
    return [
        ContractCallAgent(
            _param(task, "to"),
            _param(task, "function"),
            task.params.get("args", ()),
            value=int(task.params.get("value", 0)),
        )
    ]


BUILTINS: Mapping[str, Callable[[Task], Sequence[BaseAgent[Any]]]] = MappingProxyType(
    {
        "transfer": _transfer,
        "batch_transfer": _batch_transfer,
        "mint_erc721_batch": _mint,
        "contract_call": _contract_call,
    }
)
"""The built-in actions' agent factories; the workflow's registry starts with them."""
