/**
 * Fast start for the CLIs (`npm run pipeline`, `npm run bench`):
 *
 *   node -r ./scripts/preload.cjs -r tsx/cjs src/cli/pipeline.ts ...
 *
 * loads the big dependencies through Node's own CommonJS loader before tsx's require hook is
 * registered. Under `tsx` (or `--import tsx`) every file a `require` reaches, tfjs's and vega's
 * multi-megabyte bundles included, is first scanned by tsx for ESM syntax, and its ESM hooks
 * answer each resolution from another thread: 1.2 s of CPU to load the pipeline's modules
 * against 0.55 s this way (measured on the 2-core bench machine; bench/README.md). The
 * project's own TypeScript still goes through tsx (`-r tsx/cjs`, the hook worker threads use).
 * Plain JavaScript on purpose: it runs before any TypeScript hook exists.
 *
 * Not here: vega and vega-lite, whose figures a CLI run renders in a worker thread that loads
 * them itself (report/visualize's `startFigureWorker`; on this thread they load on first use),
 * and parquet-wasm, which loads on first use in the outputs stage (one file: tsx's scan costs
 * little) rather than before ingestion. The notebooks' kernel (jupyter/kernels/tslab/launch.js)
 * preloads all three: it renders its figures on its own thread.
 */
"use strict";
for (const name of [
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-backend-wasm",
  "apache-arrow",
  "papaparse",
  "fflate",
  "commander",
  "cli-progress",
]) {
  require(name);
}
