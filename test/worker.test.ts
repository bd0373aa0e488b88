/**
 * common/worker: a worker thread does not inherit the parent's preloaded modules (the CLI's
 * `-r scripts/preload.cjs` bundle: tfjs, vega, arrow…), only its other Node options; a one-job
 * worker takes its job when it comes, and one whose job never comes can be cancelled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runWorkerJob, startWorkerJob, workerExecArgv } from "../src/common/worker";

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

/** A job module in a temporary folder: doubles the numbers it is given, or throws on a negative one. */
function doublingJobModule(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "worker-job-"));
  const file = path.join(dir, "doubling.ts");
  fs.writeFileSync(
    file,
    `import { serveWorkerJob } from ${JSON.stringify(path.join(ROOT, "src/common/worker"))};
serveWorkerJob<{ values: Float64Array }, Float64Array>(async ({ values }) => {
  if (values.some((v) => v < 0)) throw new RangeError("negative value " + values.find((v) => v < 0));
  const doubled = values.map((v) => v * 2);
  return { result: doubled, transfer: [doubled.buffer as ArrayBuffer] };
});
`,
  );
  return file;
}

test("startWorkerJob runs the job handed over later, moving its buffers, and rethrows the handler's error", async () => {
  const file = doublingJobModule();
  const job = startWorkerJob<{ values: Float64Array }, Float64Array>(file);
  // The worker is already loading; the job comes later.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const values = new Float64Array([1, 2.5, -0]);
  const doubled = await job.run({ values }, [values.buffer]);
  assert.deepEqual(Array.from(doubled!), [2, 5, -0]);
  assert.equal(values.length, 0, "the input buffer was moved, not copied");

  await assert.rejects(runWorkerJob(file, { values: new Float64Array([3, -4]) }), { name: "RangeError", message: "negative value -4" });
});

test("a cancelled worker job, or one whose worker died before it, resolves null (the caller runs it inline); once given, a job is not cancelled; a waiting one does not keep the process alive", async () => {
  const job = startWorkerJob<{ values: Float64Array }, Float64Array>(doublingJobModule());
  job.cancel();
  assert.equal(await job.run({ values: new Float64Array([1]) }), null);

  const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "worker-job-")), "broken.ts");
  fs.writeFileSync(broken, 'throw new Error("this module cannot load");\n');
  const dead = startWorkerJob<{ values: Float64Array }, Float64Array>(broken);
  // Most likely dead by now; if not, it dies with the job queued: null either way.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await dead.run({ values: new Float64Array([1]) }), null);

  const given = startWorkerJob<{ values: Float64Array }, Float64Array>(doublingJobModule());
  const result = given.run({ values: new Float64Array([4]) });
  given.cancel();
  assert.deepEqual(Array.from((await result)!), [8]);

  // A process whose job never comes (a run that failed before its figures) still exits.
  const script = `
    const { startWorkerJob } = require(${JSON.stringify(path.join(ROOT, "src/common/worker.ts"))});
    startWorkerJob(${JSON.stringify(doublingJobModule())});
    setTimeout(() => process.stdout.write("done"), 100);
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  assert.equal(r.error, undefined, "the process exited by itself");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "done");
});
