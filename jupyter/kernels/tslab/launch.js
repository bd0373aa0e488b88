#!/usr/bin/env node
// Starts the project's own tslab (node_modules/tslab, pinned in package.json) whatever the
// kernel's working directory is, so notebooks run the same from notebooks/, outputs/ or VS Code.
//
// tslab type-checks cells and the `./src/...` files they import (notebooks/src links to
// ../src), but at run time it only finds compiled side outputs for file imports, not for
// folder imports (`./src/ingest` → index.ts) nor for imports between src/ files. Registering
// tsx's require hook first lets Node load src/ as the CLI and the tests do.
const path = require("path");
const root = path.resolve(__dirname, "..", "..", "..");
let main;
try {
  require(require.resolve("tsx/cjs", { paths: [root] }));
  main = require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main;
} catch (error) {
  console.error(`tslab or tsx is not installed in ${root}/node_modules: run \`npm ci\` in the project folder first.`);
  process.exit(1);
}
main();
