#!/usr/bin/env node
// Starts the project's own tslab (node_modules/tslab, pinned in package.json) whatever the
// kernel's working directory is, so notebooks run the same from notebooks/, outputs/ or VS Code.
//
// Module loading: tslab type-checks cells against the `./src/...` files they import
// (notebooks/src links to ../src), but at run time it only finds its compiled side outputs for
// file imports, not for folder imports (`./src/ingest` → index.ts). Registering tsx's require
// hook first lets Node load src/ as the CLI and the tests do.
//
// Speed: stock tslab also re-type-checks and re-emits EVERY transitively imported .ts file
// (~85 files of src/ for 03_model) when a cell imports them, in every kernel: 4-6 s of the
// first cell. Those emitted copies would only duplicate what tsx loads anyway. So, unless
// TSLAB_CHECK_IMPORTS=1, the launcher limits tslab's per-cell diagnostics and emit to the cell
// itself: cells are still fully type-checked against src/'s types (a wrong call in a cell is
// still an error), src/ modules are all loaded once, through tsx, and src/ itself is type-checked
// with tslab's own compiler by `npm test` (scripts/check-tslab-compat.ts).
const path = require("path");
const root = path.resolve(__dirname, "..", "..", "..");

/** Loads tslab's compiler; when `enabled`, restricts its per-cell dependency walk (diagnostics + side emit) to non-.ts files. */
function checkCellsOnly(enabled) {
  let id, ts;
  try {
    id = require.resolve("@tslab/typescript-for-tslab", { paths: [path.join(root, "node_modules", "tslab")] });
    ts = require(id);
  } catch {
    return; // tslab itself reports the missing install below
  }
  if (!enabled || typeof ts.createWatchProgram !== "function" || !require.cache[id]) return;
  const wrapped = Object.create(null);
  for (const key of Object.keys(ts)) {
    if (key !== "createWatchProgram") Object.defineProperty(wrapped, key, { enumerable: true, get: () => ts[key] });
  }
  wrapped.createWatchProgram = (host) => {
    const afterProgramCreate = host.afterProgramCreate;
    if (typeof afterProgramCreate === "function") {
      host.afterProgramCreate = (builder) => {
        if (typeof builder.getAllDependencies === "function") {
          const all = builder.getAllDependencies.bind(builder);
          // Keep the cell file (and any .js / .d.ts); drop the imported .ts sources.
          builder.getAllDependencies = (sourceFile) =>
            all(sourceFile).filter((file) => file === sourceFile.fileName || !file.endsWith(".ts") || file.endsWith(".d.ts"));
        }
        afterProgramCreate(builder);
      };
    }
    return ts.createWatchProgram(host);
  };
  require.cache[id].exports = wrapped;
}

let main;
try {
  // Fast start, as the CLI's (scripts/preload.cjs): tfjs, vega and the other big packages, tslab
  // and its TypeScript compiler load through Node's own loader; tsx's hook, registered last,
  // then only sees src/. Under the hook every required file is first scanned for ESM syntax.
  require(path.join(root, "scripts", "preload.cjs"));
  checkCellsOnly(process.env.TSLAB_CHECK_IMPORTS !== "1");
  main = require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main;
  require(require.resolve("tsx/cjs", { paths: [root] }));
} catch (error) {
  console.error(`tslab or tsx is not installed in ${root}/node_modules: run \`npm ci\` in the project folder first.`);
  process.exit(1);
}
main();
