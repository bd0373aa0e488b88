/**
 * `npm start` holds the output folder's lock (the CLI's) while the notebooks write into it: a
 * second run on the same folder is refused with the folder, the lock file and the fix, and
 * writes nothing; the lock is held while the notebooks run and released afterwards.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runNotebooks } from "../scripts/run-notebooks";
import { LOCK_FILE, OutputFolder } from "../src/pipeline/outputFolder";
import { isUserInputError } from "../src/common/errors";

const root = path.resolve(__dirname, "..");

test("a notebook run on a folder another run holds is refused with the folder and the fix, and writes nothing", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nb-lock-"));
  const other = await OutputFolder.open(dir); // e.g. a CLI run in progress
  try {
    await assert.rejects(
      runNotebooks({ only: ["00"], html: false, env: { SPOTIFY_EXPORT: "data-sample", OUTPUT_DIR: dir } }),
      (error: unknown) => isUserInputError(error) && error.message.includes(`"${dir}" is in use by another run`) && error.message.includes(path.join(dir, LOCK_FILE)),
    );
    // The command line says the same in one paragraph, exit 1, no stack trace.
    const cli = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "run-notebooks.ts"), "00", "--no-html", "--output-dir", dir], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, SPOTIFY_EXPORT: path.join(root, "data-sample") },
    });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, /is in use by another run/);
    assert.ok(cli.stderr.includes(dir), cli.stderr);
    assert.doesNotMatch(cli.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.startsWith(".")), [], "nothing written beside the other run's files");
  } finally {
    other.abort();
  }
});

test("the notebooks hold the folder's lock while they run and release it after", { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nb-lock-"));
  let heldBy: number | null = null;
  const runs = await runNotebooks({
    only: ["00"],
    html: false,
    env: { SPOTIFY_EXPORT: "data-sample", OUTPUT_DIR: dir },
    then: () => {
      heldBy = (JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")) as { pid: number }).pid;
    },
  });
  assert.ok(runs.every((r) => r.ok), runs.map((r) => r.error).join("\n"));
  assert.equal(heldBy, process.pid, "the lock is this run's while the notebooks write");
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), "released after the run");
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith(".staging-")), [], "no staging folder left");
  assert.ok(fs.existsSync(path.join(dir, "notebooks", "00_setup_check.ipynb")));
  fs.rmSync(dir, { recursive: true, force: true });
});
