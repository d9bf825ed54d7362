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
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
let differs = false;
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    if (!c.evm.bytecode.object) continue; // an interface: nothing to deploy
    const artifact = {
      contractName: name,
      sourceName: `contracts/${file}`,
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
