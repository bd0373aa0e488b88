#!/usr/bin/env node
// Starts the project's own tslab (node_modules/tslab, pinned in package.json) whatever the
// kernel's working directory is, so notebooks run the same from notebooks/, outputs/ or VS Code.
const path = require("path");
const root = path.resolve(__dirname, "..", "..", "..");
let main;
try {
  main = require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main;
} catch (error) {
  console.error(`tslab is not installed in ${root}/node_modules: run \`npm ci\` in the project folder first.`);
  process.exit(1);
}
main();
