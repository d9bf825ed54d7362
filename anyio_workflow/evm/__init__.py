"""EVM: addresses, accounts and signing, nonces, fee quotes, revert decoding (more to come)."""

from .accounts import LocalSigner, SignedTx, Signer
from .address import Address, InvalidAddress, to_checksum
from .chainlink import ChainlinkGasFeed, GasPrice, RoundData
from .gas import CustomFees, FeeOracle, FeeQuote
from .nonce import NonceManager, NonceSource, Reservation
from .revert import DecodedRevert, decode_revert
from .tx import TransactionError, TxReceipt, TxRequest, TxSender

__all__ = [
    "Address",
    "ChainlinkGasFeed",
    "GasPrice",
    "RoundData",
    "CustomFees",
    "FeeOracle",
    "FeeQuote",
    "DecodedRevert",
    "InvalidAddress",
    "LocalSigner",
    "NonceManager",
    "NonceSource",
    "Reservation",
    "SignedTx",
    "Signer",
    "TransactionError",
    "TxReceipt",
    "TxRequest",
    "TxSender",
    "decode_revert",
    "to_checksum",
]
