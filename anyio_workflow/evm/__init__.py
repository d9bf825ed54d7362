"""EVM: addresses, accounts and signing, nonces, fees, scheduling, and the transaction lifecycle."""

from .accounts import LocalSigner, SignedTx, Signer
from .address import Address, InvalidAddress, to_checksum
from .chainlink import ChainlinkGasFeed, GasPrice, RoundData
from .contract import Contract, ContractCall, ContractEvent, load_abi
from .gas import CustomFees, FeeOracle, FeeQuote
from .nonce import NonceManager, NonceManagers, NonceSource, Reservation
from .revert import DecodedRevert, decode_revert
from .schedule import SendQueue
from .tx import (
    FeeCapExceeded,
    SendSettings,
    TransactionError,
    TxReceipt,
    TxRequest,
    TxSender,
    receipts_in,
)
from .units import from_units, from_wei, to_units, to_wei

__all__ = [
    "Address",
    "ChainlinkGasFeed",
    "Contract",
    "ContractCall",
    "ContractEvent",
    "GasPrice",
    "RoundData",
    "CustomFees",
    "FeeOracle",
    "FeeQuote",
    "DecodedRevert",
    "FeeCapExceeded",
    "InvalidAddress",
    "LocalSigner",
    "NonceManager",
    "NonceManagers",
    "NonceSource",
    "Reservation",
    "SendQueue",
    "SendSettings",
    "SignedTx",
    "Signer",
    "TransactionError",
    "TxReceipt",
    "TxRequest",
    "TxSender",
    "decode_revert",
    "from_units",
    "from_wei",
    "load_abi",
    "receipts_in",
    "to_checksum",
    "to_units",
    "to_wei",
]
