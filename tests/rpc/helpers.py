"""Transport wrappers and bytecode for the RPC tests (wrappers, never patches)."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from eth_abi.abi import encode

from anyio_workflow.rpc import Transport
from anyio_workflow.rpc.transport import Payload

ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first well-known account


class Recording(Transport):
    """Counts what goes through: payloads sent, and the methods in them."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.endpoint = inner.endpoint
        self.payloads: list[Payload] = []
        self.methods: Counter[str] = Counter()

    async def send(self, payload: Payload) -> Any:
        self.payloads.append(payload)
        for request in payload if isinstance(payload, list) else [payload]:
            self.methods[request["method"]] += 1
        return await self.inner.send(payload)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Shuffling(Transport):
    """Returns a batch's answers in a shuffled order, as a node may."""

    def __init__(self, inner: Transport, seed: int = 0) -> None:
        self.inner = inner
        self.endpoint = inner.endpoint
        self.rng = random.Random(seed)

    async def send(self, payload: Payload) -> Any:
        answer = await self.inner.send(payload)
        if isinstance(answer, list):
            answer = list(answer)
            self.rng.shuffle(answer)
        return answer

    async def aclose(self) -> None:
        await self.inner.aclose()


def transfer_tx(chain_id: int, to: str, nonce: int, value: int = 1) -> dict[str, Any]:
    """An EIP-1559 transfer with fees that any of the test nodes accepts."""
    return {
        "to": to, "value": value, "gas": 21_000, "nonce": nonce, "chainId": chain_id,
        "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "type": 2,
    }  # fmt: skip


def reverting_init_code(revert_data: bytes) -> str:
    """EVM init code that reverts with ``revert_data``: eth_call it with no ``to``."""
    padded = revert_data + b"\0" * (-len(revert_data) % 32)
    code = b""
    for offset in range(0, len(padded), 32):
        code += b"\x7f" + padded[offset : offset + 32] + b"\x60" + bytes([offset]) + b"\x52"
    code += b"\x60" + bytes([len(revert_data)]) + b"\x60\x00\xfd"  # REVERT(0, len)
    return "0x" + code.hex()


def error_string(reason: str) -> bytes:
    return bytes.fromhex("08c379a0") + encode(["string"], [reason])


def panic(code: int) -> bytes:
    return bytes.fromhex("4e487b71") + encode(["uint256"], [code])


def json_body(obj: Any) -> bytes:
    return json.dumps(obj).encode()
