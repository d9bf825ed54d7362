// Compiles contracts/*.sol with the pinned npm `solc` (offline) into
// anyio_workflow/contracts/<Name>.json: ABI, bytecode, and the source's sha256, so that a
// test can tell when an artifact no longer matches its source.
//   node scripts/compile_contracts.mjs           write the artifacts
//   node scripts/compile_contracts.mjs --check   exit 1 if any artifact differs
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const solc = require("solc");
const sources = {};
for (const file of readdirSync("contracts").filter((f) => f.endsWith(".sol")).sort()) {
  sources[file] = { content: readFileSync(join("contracts", file), "utf8") };
}
// Chainlink's own MockV3Aggregator, from the pinned @chainlink/contracts sources (the
// package ships no bytecode for it): compiled here with the same pinned solc, its imports
// read from the package.
const CHAINLINK = "@chainlink/contracts/src/v0.8/shared/mocks/MockV3Aggregator.sol";
const EXTERNAL = { [CHAINLINK]: "MockV3Aggregator" };
for (const path of Object.keys(EXTERNAL)) {
  sources[path] = { content: readFileSync(join("node_modules", path), "utf8") };
}
const findImports = (path) => {
  try {
    return { contents: readFileSync(join("node_modules", path), "utf8") };
  } catch {
    return { error: `not found: ${path}` };
  }
};
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
let differs = false;
for (const [file, contracts] of Object.entries(output.contracts)) {
  if (!(file in sources)) continue; // an import of an external source
  const external = file in EXTERNAL;
  for (const [name, c] of Object.entries(contracts)) {
    if (!c.evm.bytecode.object) continue; // an interface: nothing to deploy
    if (external && EXTERNAL[file] !== name) continue;
    const artifact = {
      contractName: name,
      sourceName: external ? `node_modules/${file}` : `contracts/${file}`,
      sourceSha256: createHash("sha256").update(sources[file].content).digest("hex"),
      compiler: solc.version(),
      settings: input.settings,
      abi: c.abi,
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    };
    const path = join("anyio_workflow", "contracts", `${name}.json`);
    const text = JSON.stringify(artifact, null, 2) + "\n";
    if (process.argv.includes("--check")) {
      let current = "";
      try { current = readFileSync(path, "utf8"); } catch {}
      if (current !== text) { console.error(`${path} does not match its source`); differs = true; }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
}
process.exit(differs ? 1 : 0);
