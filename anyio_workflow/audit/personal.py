"""Personal data in records that an auditor can read and the public cannot.

Records land on IPFS, which never forgets. A task marks its personal fields (a vendor's
name, an invoice number, an e-mail) by listing their names under ``params["personal"]``;
an agent's output (a mapping) does the same under its own ``"personal"`` key. Those
fields go into the record only as salted commitments, ``{"commitment":
keccak256(salt || canonical JSON of the value)}``, with a fresh 32-byte salt each; the
salts and values go to the user (the auditor's salts directory, off chain). Revealing
them to an auditor lets the auditor check them against the record
(``anyio-workflow verify --reveal FILE``); deleting them is the right to erasure: the
commitment alone says nothing of the value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .._hash import keccak256
from ..errors import InvalidArgument

__all__ = ["commitment", "seal", "unsealed"]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def commitment(salt: bytes, value: Any) -> str:
    """``0x``-hex keccak256 of the salt and the value's canonical JSON."""
    if len(salt) != 32:
        raise InvalidArgument(f"salt: {len(salt)} bytes, not 32")
    return "0x" + keccak256(salt + _canonical(value)).hex()


def seal(data: Mapping[str, Any], reveal: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the fields it lists under ``"personal"`` replaced by commitments;
    each field's salt and value are put in ``reveal``."""
    names = data.get("personal")
    if names is None:
        return dict(data)
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise InvalidArgument("personal: a list of the names of personal fields")
    sealed = dict(data)
    for name in names:
        if name in data and name != "personal":
            salt = os.urandom(32)
            sealed[name] = {"commitment": commitment(salt, data[name])}
            reveal[name] = {"salt": "0x" + salt.hex(), "value": data[name]}
    return sealed


def unsealed(sealed: Mapping[str, Any], reveal: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """For each field of ``reveal``: whether its salt and value give the commitment
    ``sealed`` holds for it."""
    found = []
    for name, shown in reveal.items():
        held = sealed.get(name)
        try:
            salt = bytes.fromhex(str(shown["salt"]).removeprefix("0x"))
            ok = isinstance(held, Mapping) and held.get("commitment") == commitment(
                salt, shown["value"]
            )
        except (KeyError, TypeError, ValueError, InvalidArgument):
            ok = False
        found.append((name, ok))
    return found
