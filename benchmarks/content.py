"""Content addressing and proofs: CIDs and UnixFS import beside bare sha256, and a
100,000-leaf Merkle tree with every proof.

The floor is ``hashlib.sha256`` over the same bytes, measured in the same run: a raw
CIDv1 is one sha256 plus a few bytes of framing, and a UnixFS import hashes every 256 KiB
chunk (wrapped in dag-pb for CIDv0) plus the parent nodes.

    python benchmarks/content.py            # 64 MiB, 100,000 leaves
    python benchmarks/content.py --quick    # 8 MiB, 10,000 leaves
    python benchmarks/content.py --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

from anyio_workflow.audit import StandardMerkleTree
from anyio_workflow.storage import CID, import_file


def best_of(rounds: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 MiB and 10,000 leaves")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    mib = 8 if args.quick else 64
    leaves = 10_000 if args.quick else 100_000
    data = os.urandom(mib * 1024 * 1024)
    rounds = 5

    floor = best_of(rounds, lambda: hashlib.sha256(data).digest())
    raw = best_of(rounds, lambda: CID.of(data, "raw"))
    unixfs_v1 = best_of(rounds, lambda: import_file(data, cid_version=1))
    unixfs_v0 = best_of(rounds, lambda: import_file(data))

    rng = random.Random(1)
    values = [["0x" + rng.randbytes(20).hex(), rng.getrandbits(128)] for _ in range(leaves)]

    def merkle() -> None:
        tree = StandardMerkleTree.of(values, ["address", "uint256"])
        assert len(tree.get_proofs()) == leaves

    merkle_s = best_of(3, merkle)
    mb = mib * 1024 * 1024 / 1e6
    figures = {
        "mib": mib,
        "sha256_mb_s": mb / floor,
        "raw_cid_mb_s": mb / raw,
        "unixfs_v1_mb_s": mb / unixfs_v1,
        "unixfs_v0_mb_s": mb / unixfs_v0,
        "raw_cid_vs_sha256": floor / raw,
        "unixfs_vs_sha256": floor / unixfs_v1,
        "unixfs_v0_vs_sha256": floor / unixfs_v0,
        "merkle_leaves": leaves,
        f"merkle_{leaves // 1000}k_s": merkle_s,
    }
    if leaves == 100_000:
        figures["merkle_100k_s"] = merkle_s
    figures["goals"] = {"raw_cid_vs_sha256": [">=", 0.9], "unixfs_vs_sha256": [">=", 0.5]}
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{mib} MiB of random bytes; best of {rounds} rounds; merkle best of 3")
    for key, value in figures.items():
        if key == "goals":
            continue
        print(f"  {key:<24} {value:.3f}" if isinstance(value, float) else f"  {key:<24} {value}")
    print("goals: raw_cid_vs_sha256 >= 0.9, unixfs_vs_sha256 >= 0.5, merkle_100k_s < 2")


if __name__ == "__main__":
    main()
