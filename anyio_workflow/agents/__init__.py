"""Agents: the :class:`BaseAgent` base class, roles, the :class:`AgentContext` protocol,
and the built-in agents (the auditor among them)."""

from .aave import AaveLendingAgent, LendingReport
from .auditor import AuditorAgent
from .base import BaseAgent, Role
from .batch import BatchReport, BatchTransferAgent, BatchTx, Payout
from .context import AgentContext
from .contract import ContractCallAgent
from .nft import Erc721BatchMintAgent, MintReport
from .oracle import ChainlinkOracleAgent, Price
from .risk import (
    Condition,
    MaxDeviation,
    MaxUtilization,
    MinBalance,
    PriceBounds,
    ProofOfReserve,
    RiskMonitorAgent,
)
from .solana import (
    SolanaBatch,
    SolanaPayoutAgent,
    SolanaPayoutReport,
    SolanaProgramCallAgent,
    SolTransferAgent,
    SplTransferAgent,
)
from .transfer import Erc20TransferAgent, NativeTransferAgent
from .uniswap import SwapReport, UniswapV3Agent

__all__ = [
    "SolTransferAgent",
    "SolanaBatch",
    "SolanaPayoutAgent",
    "SolanaPayoutReport",
    "SolanaProgramCallAgent",
    "SplTransferAgent",
    "AaveLendingAgent",
    "AgentContext",
    "AuditorAgent",
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
    "LendingReport",
    "MintReport",
    "NativeTransferAgent",
    "Payout",
    "Price",
    "PriceBounds",
    "ProofOfReserve",
    "RiskMonitorAgent",
    "Role",
    "SwapReport",
    "UniswapV3Agent",
]
