"""solana-py's side of benchmarks/solana.py, run in .venv-bench-solana/:

    python _solana_baseline.py URL COUNT SECRET_KEY POLL

COUNT SOL transfers of 1,000,000 lamports to fresh addresses, one after another, as
solana-py's users write them (its AsyncClient; 0.41 has no other): latest blockhash, a
solders transfer, send_transaction, confirm_transaction (polling every POLL seconds, the
same interval as our side). Prints one JSON object."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

# This script's directory holds benchmarks/solana.py, which would shadow solana-py.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from solana.rpc.async_api import AsyncClient  # noqa: E402
from solana.rpc.commitment import Confirmed  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import MessageV0  # noqa: E402
from solders.system_program import TransferParams, transfer  # noqa: E402
from solders.transaction import VersionedTransaction  # noqa: E402


async def main(url: str, count: int, secret: str, poll: float) -> None:
    payer = Keypair.from_base58_string(secret)
    async with AsyncClient(url) as client:
        started = time.perf_counter()
        for _ in range(count):
            blockhash = (await client.get_latest_blockhash()).value.blockhash
            to = Keypair().pubkey()
            ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=10**6))
            message = MessageV0.try_compile(payer.pubkey(), [ix], [], blockhash)
            signature = (
                await client.send_transaction(VersionedTransaction(message, [payer]))
            ).value
            await client.confirm_transaction(signature, Confirmed, sleep_seconds=poll)
        elapsed = time.perf_counter() - started
    print(json.dumps({"transfers_per_s": count / elapsed}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
