"""Agents: the :class:`BaseAgent` base class, roles, and the built-in agents."""

from .base import BaseAgent, Role
from .batch import BatchReport, BatchTransferAgent, BatchTx, Payout
from .contract import ContractCallAgent
from .nft import Erc721BatchMintAgent, MintReport
from .oracle import ChainlinkOracleAgent, Price
from .risk import (
    Condition,
    MaxDeviation,
    MaxUtilization,
    MinBalance,
    PriceBounds,
    RiskMonitorAgent,
)
from .transfer import Erc20TransferAgent, NativeTransferAgent

__all__ = [
    "BaseAgent",
    "BatchReport",
    "BatchTransferAgent",
    "BatchTx",
    "ChainlinkOracleAgent",
    "Condition",
    "ContractCallAgent",
    "Erc20TransferAgent",
    "Erc721BatchMintAgent",
    "MaxDeviation",
    "MaxUtilization",
    "MinBalance",
    "MintReport",
    "NativeTransferAgent",
    "Payout",
    "Price",
    "PriceBounds",
    "RiskMonitorAgent",
    "Role",
]
