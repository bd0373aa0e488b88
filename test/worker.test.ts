/**
 * common/worker: a worker thread does not inherit the parent's preloaded modules (the CLI's
 * `-r scripts/preload.cjs` bundle: tfjs, vega, arrow…), only its other Node options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { workerExecArgv } from "../src/common/worker";

const ROOT = path.join(__dirname, "..");

test("workerExecArgv drops -r / --require / --import / loaders with their values and keeps every other option", () => {
  assert.deepEqual(
    workerExecArgv(["-r", "./scripts/preload.cjs", "-r", "tsx/cjs", "--expose-gc", "--import", "tsx", "--require=x.cjs", "--import=y.mjs", "--cpu-prof", "--cpu-prof-dir", "p", "--loader", "l.mjs", "--experimental-loader=m.mjs", "--max-old-space-size=4096"]),
    ["--expose-gc", "--cpu-prof", "--cpu-prof-dir", "p", "--max-old-space-size=4096"],
  );
  assert.deepEqual(workerExecArgv([]), []);
});

test("a worker started under the CLI's fast-start preload loads only what it asks for", () => {
  // The parent runs as `npm run pipeline` does; its worker reports which big packages it has loaded.
  const script = `
    const { startWorker } = require(${JSON.stringify(path.join(ROOT, "src/common/worker.ts"))});
    const fs = require("fs"); const os = require("os"); const path = require("path");
    const body = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "worker-test-")), "body.js");
    fs.writeFileSync(body, 'require("worker_threads").parentPort.postMessage(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](@tensorflow|vega|apache-arrow)/.test(k)).length)');
    const parentHas = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](@tensorflow|vega|apache-arrow)/.test(k)).length;
    const w = startWorker(body);
    w.once("message", (n) => { process.stdout.write(JSON.stringify({ parentHas, workerHas: n })); void w.terminate(); });
  `;
  const r = spawnSync(process.execPath, ["-r", path.join(ROOT, "scripts/preload.cjs"), "-r", "tsx/cjs", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { parentHas, workerHas } = JSON.parse(r.stdout) as { parentHas: number; workerHas: number };
  assert.ok(parentHas > 0, "the parent preloaded the bundle");
  assert.equal(workerHas, 0, "the worker did not");
});
