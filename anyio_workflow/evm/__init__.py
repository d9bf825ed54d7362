"""EVM: addresses, accounts and signing, nonces, fees, scheduling, and the transaction lifecycle."""

from .accounts import LocalSigner, SignedTx, Signer
from .address import Address, InvalidAddress, to_checksum
from .chainlink import ChainlinkGasFeed, GasPrice, RoundData
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

__all__ = [
    "Address",
    "ChainlinkGasFeed",
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
    "receipts_in",
    "to_checksum",
]
