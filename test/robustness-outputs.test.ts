/**
 * The output folder under stress: one run at a time (lock with pid + start time, refused or
 * waited for, stale locks replaced and reported), interruption at seeded random points
 * (SIGTERM / SIGINT / SIGKILL, and crashes at every kind of file operation) leaving the
 * previous complete run or nothing, and write failures named with the file and the system error.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import fsModuleObject from "fs";
import * as os from "os";
import * as path from "path";
import { mulberry32 } from "../src/common/rng";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { LOCK_FILE, MANIFEST_FILE, OutputFolder } from "../src/pipeline/outputFolder";
import { runPipeline } from "../src/pipeline/run";
import { writeFileAtomic } from "../src/report/files";
import { assertCliUserError, runCli } from "./helpers/cli";
import { extendedExport, plays, tmpDir } from "./fixtures/bad/make-bad";

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "src", "cli", "pipeline.ts");
/** Small enough to run many times; every model still trains and every figure is drawn. */
const EXPORT = extendedExport(plays(400));
/** Complete runs with seed 1 (the "earlier run") and seed 2 (the interrupted one, had it finished). */
const refA = path.join(tmpDir(), "A");
const refB = path.join(tmpDir(), "B");
const helpers: import("child_process").ChildProcess[] = [];
/** The fs module object itself (the default import), to inject failures (the namespace import above is read-only). */
const fsModule = fsModuleObject as Record<string, unknown>;

/** Folders other tools keep in the output folder (the stage cache, executed notebooks): not the run's outputs. */
const NOT_OWNED = new Set(["cache", "notebooks"]);

/** rel path → content, every file the run owns (hidden ones too); model_metrics.json without its timings. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (abs: string, rel: string): void => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      if (!rel && NOT_OWNED.has(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(abs, e.name), r);
      else {
        let text = fs.readFileSync(path.join(abs, e.name), "utf8");
        if (r === "model_metrics.json") {
          const json = JSON.parse(text) as { timings?: unknown };
          delete json.timings;
          text = JSON.stringify(json);
        }
        out.set(r, text);
      }
    }
  };
  walk(dir, "");
  return out;
}

function sameSnapshot(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** "A", "B" or "empty"; fails when the folder holds anything else (a mix, a leftover lock or staging). */
function stateOf(dir: string, context: string): "A" | "B" | "empty" {
  const s = snapshot(dir);
  if (s.size === 0) return "empty";
  if (sameSnapshot(s, snapshot(refA))) return "A";
  if (sameSnapshot(s, snapshot(refB))) return "B";
  const a = snapshot(refA);
  const diff = [...new Set([...s.keys(), ...a.keys()])].filter((k) => s.get(k) !== a.get(k)).slice(0, 8);
  assert.fail(`${context}: the folder is neither the earlier run, the new run nor empty; differs from the earlier run in ${diff.join(", ")}`);
}

function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** A process that stays alive until killed: a live lock holder. */
function liveProcess(): number {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
  helpers.push(child);
  return child.pid as number;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

function writeLock(dir: string, pid: number, started = "2026-01-02T03:04:05.000Z"): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), started }) + "\n");
  return file;
}

before(async () => {
  const notices: string[] = [];
  writeLock(refA, deadPid());
  await runPipeline({ export: EXPORT }, refA, { ...DEFAULT_PARAMS, seed: 1 }, undefined, { onNotice: (l) => notices.push(l) });
  // The reference run itself met a stale lock: replaced and reported.
  assert.equal(notices.length, 1);
  assert.match(notices[0], /^replaced a stale lock ".*\.pipeline\.lock" left by process \d+ \(started 2026-01-02T03:04:05\.000Z\), which is no longer running$/);
  await runPipeline({ export: EXPORT }, refB, { ...DEFAULT_PARAMS, seed: 2 });
  assert.ok(!sameSnapshot(snapshot(refA), snapshot(refB)), "the two reference runs differ, so a mix would show");
  assert.deepEqual((JSON.parse(fs.readFileSync(path.join(refA, MANIFEST_FILE), "utf8")) as { files: string[] }).files, [...snapshot(refA).keys()].filter((f) => f !== MANIFEST_FILE).sort());
});

after(() => {
  for (const h of helpers) h.kill("SIGKILL");
});

// ---------------------------------------------------------------- one run per folder

test("a second run into a folder another live run holds is refused, naming the lock, its pid and start; nothing changes", async () => {
  const dir = copyDir(refA, path.join(tmpDir(), "out"));
  const pid = liveProcess();
  const lock = writeLock(dir, pid);
  const before = snapshot(dir);
  const line = assertCliUserError(await runCli(["--export", EXPORT, "--output-dir", dir]));
  assert.equal(
    line,
    `error: The output folder "${dir}" is in use by another run (lock file "${lock}": process ${pid}, started 2026-01-02T03:04:05.000Z). Wait for it to finish, pass --wait to wait for it, or give another --output-dir; if no such run exists any more, delete the lock file.`,
  );
  assert.ok(sameSnapshot(snapshot(dir), before), "the folder is untouched, the other run's lock kept");
});

test("--wait waits for the live run's lock to go, then takes the folder", async () => {
  const dir = tmpDir();
  const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
  helpers.push(holder);
  writeLock(dir, holder.pid as number);
  const notices: string[] = [];
  let opened = false;
  const opening = OutputFolder.open(dir, { wait: true, pollMs: 20, onNotice: (l) => notices.push(l) }).then((f) => ((opened = true), f));
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(opened, false, "still waiting while the holder runs");
  assert.equal(notices.length, 1);
  assert.match(notices[0], new RegExp(`^waiting for the run holding ".*\\.pipeline\\.lock" \\(process ${holder.pid}, started 2026-01-02T03:04:05\\.000Z\\) to finish$`));
  holder.kill("SIGKILL");
  const folder = await opening;
  assert.equal((JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")) as { pid: number }).pid, process.pid, "the lock is now ours");
  assert.match(notices[1], /replaced a stale lock/);
  folder.abort();
  assert.deepEqual(fs.readdirSync(dir), [], "abort leaves nothing");
});

test("a stale lock (dead pid) or an unreadable one is replaced and reported; a lock from another host is respected", async () => {
  for (const [content, expected] of [
    [JSON.stringify({ pid: deadPid(), host: os.hostname(), started: "2026-01-02T03:04:05.000Z" }), /^replaced a stale lock ".*" left by process \d+ \(started 2026-01-02T03:04:05\.000Z\), which is no longer running$/],
    ["{half a lock", /^replaced an unreadable lock file ".*\.pipeline\.lock"$/],
  ] as const) {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), content);
    const notices: string[] = [];
    const folder = await OutputFolder.open(dir, { onNotice: (l) => notices.push(l) });
    assert.equal(notices.length, 1);
    assert.match(notices[0], expected);
    folder.abort();
  }
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: "another-machine", started: "2026-01-02T03:04:05.000Z" }));
  await assert.rejects(OutputFolder.open(dir), /in use by another run .*process \d+ on another-machine, started 2026-01-02T03:04:05\.000Z/);
});

// ---------------------------------------------------------------- interruption

/** Runs the CLI (seed 2) into `dir` and sends `signal` after stage line `stage` (0: once the lock exists) plus `delayMs`. */
function interruptedRun(dir: string, signal: NodeJS.Signals, stage: number, delayMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--export", EXPORT, "--output-dir", dir, "--seed", "2"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill(signal), delayMs);
    };
    child.stderr.on("data", (d) => {
      stderr += String(d);
      if (stage > 0 && stderr.includes(`[${stage}/12]`)) arm();
    });
    const poll = setInterval(() => {
      if (stage === 0 && fs.existsSync(path.join(dir, LOCK_FILE))) arm();
    }, 10);
    child.on("exit", (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr });
    });
  });
}

/** The files a user sees: everything but the lock and staging folders an interrupted run leaves for the next run to tidy. */
function visible(dir: string): Map<string, string> {
  return new Map([...snapshot(dir)].filter(([f]) => f !== LOCK_FILE && !f.startsWith(".staging-")));
}

test("SIGTERM / SIGINT / SIGKILL at seeded random points: the folder shows the earlier complete run, the new one, or nothing; the next run tidies up", { timeout: 900_000 }, async () => {
  const rand = mulberry32(20261130);
  const trials: { signal: NodeJS.Signals; fresh: boolean }[] = [
    { signal: "SIGTERM", fresh: false },
    { signal: "SIGINT", fresh: false },
    { signal: "SIGKILL", fresh: false },
    { signal: "SIGTERM", fresh: true },
    { signal: "SIGINT", fresh: false },
    { signal: "SIGTERM", fresh: false },
  ];
  const seen: string[] = [];
  for (const { signal, fresh } of trials) {
    const stage = Math.floor(rand() * 12); // 0..11: during every stage up to the figures
    const delayMs = Math.floor(rand() * 1500);
    const dir = path.join(tmpDir(), "out");
    if (!fresh) copyDir(refA, dir);
    const r = await interruptedRun(dir, signal, stage, delayMs);
    const context = `${signal} after stage ${stage} + ${delayMs} ms`;
    const finished = r.code === 0;
    const shown = visible(dir);
    // A signal that lands after the swap, before the process has exited, leaves the new run: "the new one".
    const swapped = !finished && sameSnapshot(shown, visible(refB));
    const expected = finished || swapped ? "B" : fresh ? "empty" : "A";
    const want = expected === "A" ? visible(refA) : expected === "B" ? visible(refB) : new Map<string, string>();
    assert.ok(sameSnapshot(shown, want), `${context}: the visible files are not the ${expected} state (${[...shown.keys()].join(", ")})`);
    if (!finished) {
      assert.equal(r.signal, signal, `${context}: stopped by the signal at once (${r.stderr})`);
    }
    // Killed before its swap: the next run in this folder replaces the dead run's lock, says so,
    // and deletes its staging (after the swap the run may already have released its lock).
    if (!finished && !(swapped && !fs.existsSync(path.join(dir, LOCK_FILE)))) {
      const notices: string[] = [];
      (await OutputFolder.open(dir, { onNotice: (l) => notices.push(l) })).abort();
      assert.ok(notices.some((n) => /^replaced a stale lock .* left by process \d+ \(started .*\), which is no longer running$/.test(n)), `${context}: ${notices.join(" | ")}`);
    }
    assert.equal(stateOf(dir, context), expected, context);
    seen.push(`${context}: ${expected}`);
  }
  process.stderr.write(`interruptions: ${seen.join("; ")}\n`);
});

test("SIGTERM during the swap itself is held back until the swap is complete, then ends the process", () => {
  const dir = copyDir(refA, path.join(tmpDir(), "out"));
  const filesJson = path.join(tmpDir(), "files.json");
  fs.writeFileSync(filesJson, JSON.stringify([...snapshot(refB)].filter(([f]) => f !== MANIFEST_FILE)));
  const script = `
    const fs = require("fs");
    const path = require("path");
    const { OutputFolder } = require(${JSON.stringify(path.join(ROOT, "src", "pipeline", "outputFolder.ts"))});
    const { writeFileAtomic } = require(${JSON.stringify(path.join(ROOT, "src", "report", "files.ts"))});
    (async () => {
      const folder = await OutputFolder.open(${JSON.stringify(dir)});
      for (const [file, text] of JSON.parse(fs.readFileSync(${JSON.stringify(filesJson)}, "utf8"))) writeFileAtomic(path.join(folder.staging, file), text);
      const rename = fs.renameSync;
      let sent = false;
      fs.renameSync = (...a) => {
        if (!sent && String(a[0]).startsWith(folder.staging) && !String(a[0]).endsWith(".tmp")) { sent = true; process.kill(process.pid, "SIGTERM"); }
        return rename(...a);
      };
      await folder.commit(["backtest.csv", "backtest.json"]);
      process.stdout.write("survived");
    })();`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  assert.equal(r.signal, "SIGTERM", `status ${r.status}; ${r.error ?? ""}; stderr ${r.stderr}`);
  assert.equal(r.stdout, "", "ended by the held-back signal");
  assert.equal(stateOf(dir, "SIGTERM during the swap"), "B");
});

type FsOp = "writeFileSync" | "renameSync" | "rmSync" | "mkdirSync" | "linkSync";
const OPS: FsOp[] = ["writeFileSync", "renameSync", "rmSync", "mkdirSync", "linkSync"];

/** Makes the k-th file operation (1-based) throw, as if the process died there; returns the number of operations seen. */
async function crashAt(k: number, body: () => Promise<void>): Promise<{ ops: number; crashed: boolean }> {
  const real = new Map(OPS.map((op) => [op, fsModule[op]] as const));
  let ops = 0;
  let crashed = false;
  for (const op of OPS) {
    fsModule[op] = (...args: unknown[]) => {
      ops++;
      if (ops === k) {
        crashed = true;
        throw new Error("simulated crash");
      }
      return (real.get(op) as (...a: unknown[]) => unknown)(...args);
    };
  }
  try {
    await body();
  } catch (error) {
    if (!crashed) throw error;
  } finally {
    for (const op of OPS) fsModule[op] = real.get(op);
  }
  return { ops, crashed };
}

test("a crash at any of the output folder's file operations (seeded sample): after the next run opens the folder it holds the earlier run or the new one", async () => {
  const newFiles = [...snapshot(refB)].filter(([f]) => f !== MANIFEST_FILE);
  /** What a run does to the folder: open (lock, tidy), write every output into the staging, commit. */
  const run = async (dir: string) => {
    const folder = await OutputFolder.open(dir);
    for (const [file, text] of newFiles) writeFileAtomic(path.join(folder.staging, file), text);
    await folder.commit(["backtest.csv", "backtest.json"]);
  };
  const { ops: total } = await crashAt(0, () => run(copyDir(refA, path.join(tmpDir(), "out"))));
  assert.ok(total > 2 * newFiles.length, `${total} file operations`);
  const rand = mulberry32(7);
  const points = new Set<number>([1, total]);
  while (points.size < 40) points.add(1 + Math.floor(rand() * total));
  const outcomes = { A: 0, B: 0 };
  for (const k of [...points].sort((a, b) => a - b)) {
    const dir = copyDir(refA, path.join(tmpDir(), "out"));
    const { crashed } = await crashAt(k, () => run(dir));
    assert.ok(crashed, `operation ${k} of ${total} crashed`);
    // The dead run's pid is ours (alive): the next run would see a dead one. Stand in for it by removing the lock.
    fs.rmSync(path.join(dir, LOCK_FILE), { force: true });
    (await OutputFolder.open(dir)).abort();
    const state = stateOf(dir, `crash at operation ${k} of ${total}`);
    assert.notEqual(state, "empty");
    outcomes[state as "A" | "B"]++;
  }
  assert.ok(outcomes.A > 0 && outcomes.B > 0, `both outcomes occur: ${JSON.stringify(outcomes)}`);
});

// ---------------------------------------------------------------- write failures

function failing(match: (file: string) => boolean, code: string, message: string): () => void {
  const real = { writeFileSync: fs.writeFileSync, openSync: fs.openSync, mkdirSync: fs.mkdirSync, linkSync: fs.linkSync };
  const fail = (file: unknown) => {
    if (match(String(file))) throw Object.assign(new Error(`${code}: ${message}, open '${String(file)}'`), { code });
  };
  fsModule.writeFileSync = (file: fs.PathOrFileDescriptor, ...rest: unknown[]) => (fail(file), (real.writeFileSync as (...a: unknown[]) => void)(file, ...rest));
  // Large outputs are written chunk by chunk through a file descriptor.
  fsModule.openSync = (file: fs.PathLike, ...rest: unknown[]) => (fail(file), (real.openSync as (...a: unknown[]) => number)(file, ...rest));
  fsModule.mkdirSync = (dir: fs.PathLike, ...rest: unknown[]) => (fail(dir), (real.mkdirSync as (...a: unknown[]) => unknown)(dir, ...rest));
  fsModule.linkSync = (from: fs.PathLike, to: fs.PathLike) => (fail(to), real.linkSync(from, to));
  return () => Object.assign(fsModule, real);
}

test("disk full while writing scored_samples.csv: the message names the file and ENOSPC, no stack trace; the earlier run stays", async () => {
  const dir = copyDir(refA, path.join(tmpDir(), "out"));
  const restore = failing((f) => /scored_samples\.csv/.test(f), "ENOSPC", "no space left on device");
  let r: Awaited<ReturnType<typeof runCli>>;
  try {
    r = await runCli(["--export", EXPORT, "--output-dir", dir, "--seed", "2"]);
  } finally {
    restore();
  }
  const line = assertCliUserError(r);
  assert.match(line, new RegExp(`^error: Could not write "${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/scored_samples\\.csv": ENOSPC: no space left on device, open '.*'\\. The disk is full: free some space, then run again\\. The output folder still holds its previous complete outputs \\(if any\\)\\.$`));
  assert.equal(stateOf(dir, "after ENOSPC"), "A");
});

test("permission lost mid-run (EACCES / EROFS on the staging folder or the lock): named, no stack trace, folder unchanged", async () => {
  for (const [code, message, match, named] of [
    ["EACCES", "permission denied", (f: string) => f.includes(".staging-"), /"\/.*\/out\/\.staging-\d+-\d+": EACCES: permission denied/],
    ["EROFS", "read-only file system", (f: string) => f.endsWith(LOCK_FILE), /"\/.*\/out\/\.pipeline\.lock": EROFS: read-only file system/],
  ] as const) {
    const dir = copyDir(refA, path.join(tmpDir(), "out"));
    const restore = failing(match, code, message);
    let r: Awaited<ReturnType<typeof runCli>>;
    try {
      r = await runCli(["--export", EXPORT, "--output-dir", dir]);
    } finally {
      restore();
    }
    const line = assertCliUserError(r, named, /fix its permissions or choose another output folder, then run again\.$/);
    assert.ok(line.startsWith("error: Could not write "), line);
    assert.equal(stateOf(dir, code), "A");
  }
});

test("a real read-only output folder (non-root only: root writes anyway)", { skip: process.getuid?.() === 0 ? "running as root, which ignores file permissions" : false }, async () => {
  const dir = copyDir(refA, path.join(tmpDir(), "out"));
  fs.chmodSync(dir, 0o555);
  try {
    const line = assertCliUserError(await runCli(["--export", EXPORT, "--output-dir", dir]));
    assert.match(line, /--output-dir ".*": cannot be written/);
  } finally {
    fs.chmodSync(dir, 0o755);
  }
  assert.equal(stateOf(dir, "read-only"), "A");
});
