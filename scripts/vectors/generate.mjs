// Generates tests/vectors/unixfs.json and tests/vectors/merkle.json from independent
// implementations: ipfs-only-hash (what `ipfs add --only-hash` prints, per its authors;
// ipfs-unixfs-importer 7 inside) cross-checked with ipfs-unixfs-importer 17 set up as
// kubo's defaults, and OpenZeppelin's @openzeppelin/merkle-tree.
//
//   cd scripts/vectors && npm ci && node generate.mjs
//
// The data of size n is the 251-byte pattern 0, 1, ..., 250 repeated and cut at n bytes
// (251 is prime, so no two 256 KiB chunks are the same).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const require = createRequire(import.meta.url);
const onlyHash = require("ipfs-only-hash");

const CHUNK = 262144;
const pattern = (n) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
};

const blockstore = { put: async (cid) => cid, get: async () => { throw new Error("no reads"); } };

async function modern(bytes, cidVersion) {
  let last;
  const options = {
    cidVersion,
    rawLeaves: cidVersion === 1,
    leafType: "file",
    chunker: fixedSize({ chunkSize: CHUNK }),
    layout: balanced({ maxChildrenPerNode: 174 }),
    reduceSingleLeafToSelf: true,
  };
  for await (const entry of importer([{ content: bytes }], blockstore, options)) last = entry.cid;
  return last.toString();
}

const sizes = [
  0, 1, 250, 251, 1000, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17,
  4 * 1024 * 1024, 5 * 1024 * 1024 + 1, 174 * CHUNK, 174 * CHUNK + 1,
];
const unixfs = { pattern: "i % 251", chunk_size: CHUNK, max_links: 174, files: [] };
for (const size of sizes) {
  const bytes = pattern(size);
  const v0 = await onlyHash.of(bytes);
  const v1 = await onlyHash.of(bytes, { cidVersion: 1, rawLeaves: true });
  const [m0, m1] = [await modern(bytes, 0), await modern(bytes, 1)];
  if (v0 !== m0 || v1 !== m1) throw new Error(`disagreement at ${size}: ${v0} ${m0} ${v1} ${m1}`);
  unixfs.files.push({ size, cid_v0: v0, cid_v1: v1 });
  console.log(size, v0, v1);
}
const hello = new TextEncoder().encode("hello world\n");
unixfs.text = [{ text: "hello world\n", cid_v0: await onlyHash.of(hello),
                 cid_v1: await onlyHash.of(hello, { cidVersion: 1, rawLeaves: true }) }];
writeFileSync("../../tests/vectors/unixfs.json", JSON.stringify(unixfs, null, 2) + "\n");

const address = (i) => "0x" + (i * 7919 + 1).toString(16).padStart(40, "0");
const trees = [];
for (const [encoding, make, count] of [
  [["address", "uint256"], (i) => [address(i), (BigInt(i) * 10n ** 18n + 1n).toString()], 7],
  [["uint256"], (i) => [String(i * i)], 1],
  [["bytes32", "string", "bool"], (i) => ["0x" + String(i).padStart(64, "0"), `payout #${i}`, i % 2 === 0], 12],
]) {
  const values = Array.from({ length: count }, (_, i) => make(i));
  const tree = StandardMerkleTree.of(values, encoding);
  const proofs = values.map((_, i) => tree.getProof(i));
  const picks = count > 3 ? [0, 2, count - 1] : [0];
  const multi = tree.getMultiProof(picks);
  trees.push({ encoding, values, root: tree.root, dump: tree.dump(), proofs,
               multiproof: { indices: picks, ...multi } });
  const unsorted = StandardMerkleTree.of(values, encoding, { sortLeaves: false });
  trees.push({ encoding, values, sort_leaves: false, root: unsorted.root, dump: unsorted.dump(),
               proofs: values.map((_, i) => unsorted.getProof(i)) });
}
writeFileSync("../../tests/vectors/merkle.json", JSON.stringify(trees, null, 2) + "\n");
