"""EVM: revert decoding now; accounts, ABI, nonces, gas and the transaction lifecycle next."""

from .revert import DecodedRevert, decode_revert

__all__ = ["DecodedRevert", "decode_revert"]
