#!/usr/bin/env node
// Starts the project's own tslab (node_modules/tslab, pinned in package.json) whatever the
// kernel's working directory is, so notebooks run the same from notebooks/, outputs/ or VS Code.
//
// Module loading: tslab type-checks cells against the `./src/...` files they import
// (notebooks/src links to ../src), but at run time it only finds its compiled side outputs for
// file imports, not for folder imports (`./src/ingest` → index.ts). Registering tsx's require
// hook first lets Node load src/ (and any local .js) as the CLI and the tests do.
//
// Speed (unless TSLAB_CHECK_IMPORTS=1, which restores stock tslab): a notebook's program holds
// ~1,100 files (lib, @types/node, tfjs, Arrow and vega-lite typings, src/), and tslab compiles
// each cell as an update of it. Measured per kernel on the 2-core bench machine (CPU seconds):
// creating the program 1.9 s, the import cell 2.7 s, every later cell 0.3-0.8 s.
//  - Stock tslab re-type-checks and re-emits EVERY transitively imported .ts file (~85 files of
//    src/ for 03_model) in every kernel: 4-6 s of the first cell, duplicating what tsx loads
//    anyway. Here a cell's diagnostics and emit cover the cell only: cells are still fully
//    type-checked against src/'s types (a wrong call in a cell is still an error), and src/
//    itself is type-checked with tslab's own compiler by `npm test` (scripts/check-tslab-compat.ts).
//  - Stock tslab keeps an incremental "builder" whose dependency graph it rebuilds over all
//    ~1,100 files on every cell (a third of a later cell's cost); only the cell's own
//    dependencies were ever asked of it, and with the first point that is the cell itself. Here
//    each update is a plain program (TypeScript's abstract builder), its checker created at once
//    so the cell is bound before tslab reads its declarations, as the builder did.
//  - Third-party typings reached only through src/ stay out of the program: tfjs's alone are
//    ~600 of the ~1,100 files, yet cells never name a tfjs, Arrow, Parquet or vega type. For
//    imports made by src/ files, those packages resolve to nothing, so the values src/ passes
//    to a cell with such a type are `any` there (src/ itself is checked against the real
//    typings by `npm test`); a cell or notebooks/*.ts importing a package still gets its types.
//    Global typings are limited to @types/node (the others under node_modules/@types come in
//    when a file imports their package). Measured: a kernel's imports cell 2.5 → 1.5 s of CPU.
//  - TSLAB_WARMUP=<notebook.ipynb> (set by scripts/run_notebook.py, which starts the next
//    notebook's kernel while the current notebook runs): before answering Jupyter, the kernel
//    compiles that notebook's first code cell (its imports) and requires the modules it imports,
//    so the parse of ~1,000 declaration files and the module loading happen during the previous
//    notebook instead of in this one's first cell. The real cell then recompiles in ~0.1 s
//    against the warm program and finds its modules loaded. A warm-up that fails does nothing:
//    the real cell reports the error.
//  - Compiled cells are cached (`cachedConverter`): a cell compiled before, with the same
//    declarations from the cells above it, in the same folder, against the same src/, notebook
//    modules, installed packages, Node, tslab and this file, gives the same result, so it is read
//    back instead of compiled. A kernel whose cells are all cached never creates the TypeScript
//    program (~2.5 of a kernel boot's ~5 s of CPU, and 0.1-0.8 s a cell). Under
//    node_modules/.cache/tslab-cells/ (TSLAB_CELL_CACHE=0 turns it off); a cell importing a
//    relative module other than ./src/… or ./danfo, a cell after one, and every cell after a
//    `//%module` cell are never cached (what they compile against is not in the key). See
//    cellCache.js.
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");
const root = path.resolve(__dirname, "..", "..", "..");

/** Packages whose typings a notebook's program skips when src/ imports them (see above). */
const OPAQUE_FROM_SRC = /^(@tensorflow\/.+|apache-arrow|parquet-wasm|vega|vega-lite|vega-embed|plotly\.js-dist-min|@duckdb\/.+)$/;

/**
 * Per-cell diagnostics and emit for the cell only, over a plain program instead of tslab's
 * incremental builder; third-party typings src/ imports left out; global typings = @types/node.
 */
function compileCellsOnly(ts) {
  if (typeof ts.createWatchProgram !== "function" || typeof ts.createAbstractBuilder !== "function" || typeof ts.createWatchCompilerHost !== "function") return ts;
  const wrapped = Object.create(null);
  for (const key of Object.keys(ts)) {
    if (key !== "createWatchProgram" && key !== "createWatchCompilerHost") Object.defineProperty(wrapped, key, { enumerable: true, get: () => ts[key] });
  }
  wrapped.createWatchCompilerHost = (rootFiles, options, ...rest) => ts.createWatchCompilerHost(rootFiles, { ...options, types: ["node"] }, ...rest);
  // src/ as the kernel sees it (notebooks/src is a link to it) and as the compiler resolves it.
  const srcDirs = [path.join(root, "src"), path.join(root, "notebooks", "src")].map((d) => d + path.sep);
  const fromSrc = (file) => srcDirs.some((d) => file.startsWith(d));
  wrapped.createWatchProgram = (host) => {
    // Resolutions are cached for the kernel's life (this bypasses the watch's invalidation): a
    // package installed, or a src/ file created, after an import of it failed needs a restart.
    const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (f) => f, host.compilerOptions);
    host.resolveModuleNames = (names, containingFile, _reused, redirected, options) =>
      names.map((name) => (OPAQUE_FROM_SRC.test(name) && fromSrc(containingFile) ? undefined : ts.resolveModuleName(name, containingFile, options, host, cache, redirected).resolvedModule));
    host.createProgram = (...args) => {
      const builder = ts.createAbstractBuilder(...args);
      builder.getProgram().getTypeChecker(); // binds the new cell: tslab reads its locals next
      builder.getAllDependencies = (sourceFile) => [sourceFile.fileName];
      return builder;
    };
    return ts.createWatchProgram(host);
  };
  return wrapped;
}

/** The first code cell of a notebook (its imports), or null. */
function firstCodeCell(notebookFile) {
  const notebook = JSON.parse(fs.readFileSync(notebookFile, "utf8"));
  const cell = (notebook.cells || []).find((c) => c.cell_type === "code");
  return cell ? [cell.source].flat().join("") : null;
}

/** Makes tslab's Node converter compile `notebookFile`'s first cell and load its imports once it is created. */
function warmUpWith(converterModule, notebookFile) {
  const create = converterModule.createConverter;
  converterModule.createConverter = (options) => {
    const converter = create(options);
    if (options && options.isBrowser) return converter;
    try {
      const source = firstCodeCell(notebookFile);
      if (source) {
        converter.convert("", source);
        const load = createRequire(path.join(path.dirname(notebookFile), "__warmup__.js"));
        for (const [, name] of source.matchAll(/^\s*import\b[^"'\n]*?\bfrom\s+["']([^"']+)["']/gm)) {
          if (name !== "tslab") load(name);
        }
      }
    } catch {
      // An optimisation only: the cell itself reports whatever went wrong.
    }
    return converter;
  };
}

let main;
try {
  // Fast start, as the CLI's (scripts/preload.cjs): tfjs, Arrow and the other big packages, tslab
  // and its TypeScript compiler load through Node's own loader; tsx's hook, registered last,
  // then only sees src/. Under the hook every required file is first scanned for ESM syntax.
  require(path.join(root, "scripts", "preload.cjs"));
  // And what the CLI loads later or leaves to a worker thread: notebooks render their figures
  // (vega) and encode scored_samples.parquet on the kernel's own thread.
  for (const name of ["vega", "vega-lite", "parquet-wasm"]) require(require.resolve(name, { paths: [root] }));
  const tslabDir = path.join(root, "node_modules", "tslab");
  const id = require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
  if (process.env.TSLAB_CHECK_IMPORTS !== "1") {
    require(id);
    require.cache[id].exports = compileCellsOnly(require.cache[id].exports);
  }
  const converter = require(path.join(tslabDir, "dist", "converter.js"));
  if (process.env.TSLAB_CHECK_IMPORTS !== "1" && process.env.TSLAB_CELL_CACHE !== "0") {
    const { cacheCells, compileEnvironment, compileStamp } = require("./cellCache");
    const tslabVersions = ["tslab", "@tslab/typescript-for-tslab"].map((pkg) => require(require.resolve(`${pkg}/package.json`, { paths: [tslabDir] })).version);
    const launcher = [__filename, require.resolve("./cellCache")];
    cacheCells(converter, {
      cacheDir: path.join(root, "node_modules", ".cache", "tslab-cells"),
      environment: () => compileEnvironment(root, launcher, [process.version, ...tslabVersions]),
      stamp: () => compileStamp(root, launcher),
    });
  }
  if (process.env.TSLAB_WARMUP) warmUpWith(converter, path.resolve(process.env.TSLAB_WARMUP));
  main = require(path.join(tslabDir, "dist", "main.js")).main;
  require(require.resolve("tsx/cjs", { paths: [root] }));
} catch (error) {
  console.error(`tslab or tsx is not installed in ${root}/node_modules: run \`npm ci\` in the project folder first.`);
  process.exit(1);
}
main();
