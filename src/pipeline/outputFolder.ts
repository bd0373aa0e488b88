/**
 * One run per output folder, and never a mixed folder.
 *
 * Inside the output folder:
 *   .pipeline.lock       {pid, host, started} while a run holds the folder (created with O_EXCL semantics)
 *   .staging-<pid>-<ms>/ the run's outputs while it writes them; nothing outside it changes until commit
 *   .pipeline-run.json   the last complete run's files, written last (names only: same input, same bytes)
 *
 * `commit` first writes the swap plan into the staging folder (from then on the staging is
 * complete), then, synchronously, renames each staged file over its target, deletes the
 * previous run's files this run did not write, writes the manifest and removes the staging.
 *
 * Interruption: the stages keep the main thread busy for seconds at a time, so a JavaScript
 * signal handler would only run at the end and Ctrl-C would seem ignored. Instead Ctrl-C /
 * SIGTERM kill the run at once (the default), which leaves the previous outputs in place
 * plus a hidden staging folder and a lock whose process is gone; the next run in the folder
 * replaces that stale lock (and says so) and deletes the staging. Only during the swap are
 * SIGINT/SIGTERM held back, then re-raised, so the swap itself is never cut short by them.
 * After a hard kill during the swap (SIGKILL, power loss) the next run finds the plan and
 * finishes the swap before starting. Only the files a run writes are touched:
 * notebooks/, cache/ and other tools' files stay.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserInputError } from "../common/errors";
import { ensureDir, writeFailure, writeFileAtomic } from "../report/files";

export const LOCK_FILE = ".pipeline.lock";
export const MANIFEST_FILE = ".pipeline-run.json";
const STAGING_PREFIX = ".staging-";
const PLAN_FILE = ".commit-plan.json";

/** The lock file's content. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the run started. */
  started: string;
}

/** The manifest of a complete run: every file it wrote, relative to the output folder ("figures/x.svg"). */
export interface RunManifest {
  files: string[];
}

interface CommitPlan {
  /** Staged files to move into place, relative paths. */
  written: string[];
  /** Files of an earlier run to delete when present (not written by this run). */
  remove: string[];
  manifest: RunManifest;
}

export interface OutputFolderOptions {
  /** Wait for another live run's lock instead of refusing. */
  wait?: boolean;
  /** Messages worth showing the user (a stale lock replaced, waiting, a swap finished). */
  onNotice?: (line: string) => void;
  /** Poll interval while waiting (ms). */
  pollMs?: number;
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    return typeof v.pid === "number" && typeof v.started === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `lock` may still run (a lock from another machine always may). */
function lockHolderAlive(lock: LockInfo): boolean {
  if (lock.host !== os.hostname()) return true;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** All files under `dir`, relative, "/"-separated, sorted. */
function listRelative(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listRelative(path.join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

export function readManifest(dir: string): RunManifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8")) as RunManifest;
    return Array.isArray(m.files) ? m : null;
  } catch {
    return null;
  }
}

/** Applies a commit plan; idempotent, so a swap cut short by a hard kill can be finished later. */
function applyPlan(dir: string, staging: string, plan: CommitPlan): void {
  fs.rmSync(path.join(dir, MANIFEST_FILE), { force: true });
  for (const rel of plan.written) {
    const from = path.join(staging, rel);
    const to = path.join(dir, rel);
    if (!fs.existsSync(from)) continue; // moved before an interruption
    ensureDir(path.dirname(to));
    try {
      fs.renameSync(from, to);
    } catch (error) {
      throw writeFailure(to, error);
    }
  }
  for (const rel of plan.remove) fs.rmSync(path.join(dir, rel), { force: true });
  writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(plan.manifest, null, 2) + "\n");
  fs.rmSync(staging, { recursive: true, force: true });
}

/** An output folder held by this run: write into `staging`, then `commit` or `abort`. */
export class OutputFolder {
  private done = false;
  /** Set once the swap plan is written: from then on the staging is kept for the next run to finish. */
  private planned = false;

  private constructor(
    readonly dir: string,
    readonly staging: string,
    readonly lockPath: string,
    private readonly lock: LockInfo,
    /** The folder did not exist before this run: a run that fails leaves no empty folder behind. */
    private readonly created: boolean,
  ) {}

  /** Takes the folder's lock (refusing, or waiting with `wait`), tidies what interrupted runs left, and makes a staging folder. */
  static async open(dir: string, options: OutputFolderOptions = {}): Promise<OutputFolder> {
    const notice = options.onNotice ?? (() => {});
    const created = !fs.existsSync(dir);
    ensureDir(dir);
    const lockPath = path.join(dir, LOCK_FILE);
    const lock: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
    let waiting = false;
    for (;;) {
      if (tryCreateLock(lockPath, lock)) break;
      const held = readLock(lockPath);
      if (held && lockHolderAlive(held)) {
        const who = `process ${held.pid}${held.host !== lock.host ? ` on ${held.host}` : ""}, started ${held.started}`;
        if (!options.wait) {
          throw new UserInputError(
            `The output folder "${dir}" is in use by another run (lock file "${lockPath}": ${who}). Wait for it to finish, pass --wait to wait for it, or give another --output-dir; if no such run exists any more, delete the lock file.`,
            lockPath,
          );
        }
        if (!waiting) notice(`waiting for the run holding "${lockPath}" (${who}) to finish`);
        waiting = true;
        await sleep(options.pollMs ?? 250);
        continue;
      }
      // The holder is gone (or the file is unreadable): replace the lock, and say so.
      fs.rmSync(lockPath, { force: true });
      notice(
        held
          ? `replaced a stale lock "${lockPath}" left by process ${held.pid} (started ${held.started}), which is no longer running`
          : `replaced an unreadable lock file "${lockPath}"`,
      );
    }
    const folder = new OutputFolder(dir, path.join(dir, `${STAGING_PREFIX}${process.pid}-${Date.now()}`), lockPath, lock, created);
    try {
      folder.recover(notice);
      ensureDir(folder.staging);
    } catch (error) {
      folder.abort();
      throw error;
    }
    return folder;
  }

  /**
   * What killed runs left: finish a complete staging folder's swap, delete the others, and delete the
   * temp files of lock attempts that died between writing and removing them (`tryCreateLock`). A live
   * other process's temp file may be mid-attempt and is kept; this process has none in flight here.
   */
  private recover(notice: (line: string) => void): void {
    for (const name of fs.readdirSync(this.dir)) {
      const attempt = LOCK_TEMP.exec(name);
      if (!attempt) continue;
      const pid = Number(attempt[1]);
      if (pid === process.pid || !lockHolderAlive({ pid, host: os.hostname(), started: "" })) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    for (const name of fs.readdirSync(this.dir).filter((n) => n.startsWith(STAGING_PREFIX)).sort()) {
      const staging = path.join(this.dir, name);
      let plan: CommitPlan | null = null;
      try {
        plan = JSON.parse(fs.readFileSync(path.join(staging, PLAN_FILE), "utf8")) as CommitPlan;
      } catch {
        plan = null;
      }
      if (plan) {
        applyPlan(this.dir, staging, plan);
        notice(`finished putting in place the outputs of a run that was stopped while doing so (${name})`);
      } else {
        fs.rmSync(staging, { recursive: true, force: true });
      }
    }
  }

  /**
   * Moves every staged file into the output folder and deletes `alsoRemove` (relative paths an
   * earlier run may have written and this one did not, e.g. a skipped figure), plus the earlier
   * manifest's files this run did not write. Then releases the lock.
   */
  async commit(alsoRemove: string[] = []): Promise<RunManifest> {
    const written = listRelative(this.staging);
    const manifest: RunManifest = { files: written };
    const keep = new Set(written);
    const previous = readManifest(this.dir)?.files ?? [];
    const remove = [...new Set([...previous, ...alsoRemove])].filter((f) => !keep.has(f)).sort();
    const plan: CommitPlan = { written, remove, manifest };
    // From here the staging is complete: a run killed during the swap is finished by the next one.
    writeFileAtomic(path.join(this.staging, PLAN_FILE), JSON.stringify(plan));
    this.planned = true;
    const held: NodeJS.Signals[] = [];
    const hold = (signal: NodeJS.Signals): void => void held.push(signal);
    process.on("SIGINT", hold);
    process.on("SIGTERM", hold);
    try {
      applyPlan(this.dir, this.staging, plan);
      this.release();
    } finally {
      // A signal that came during the swap is read in the event loop's next poll phase: two
      // check phases (setImmediate) have one poll between them.
      for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      process.off("SIGINT", hold);
      process.off("SIGTERM", hold);
    }
    if (held.length > 0) process.kill(process.pid, held[0]);
    return manifest;
  }

  /**
   * Drops the staging folder and releases the lock; safe to call twice and from a signal handler.
   * A swap that failed half-way keeps its staging: the next run in this folder finishes it.
   */
  abort(): void {
    if (this.done) return;
    if (!this.planned) fs.rmSync(this.staging, { recursive: true, force: true });
    this.release();
    if (this.created) {
      try {
        fs.rmdirSync(this.dir); // only when empty
      } catch {
        // not empty: keep it
      }
    }
  }

  private release(): void {
    this.done = true;
    const held = readLock(this.lockPath);
    if (held && held.pid === this.lock.pid && held.started === this.lock.started) fs.rmSync(this.lockPath, { force: true });
  }
}

/** `tryCreateLock`'s temp file name: lock name, pid, time. */
const LOCK_TEMP = new RegExp(`^${LOCK_FILE.replace(/\./g, "\\.")}\\.(\\d+)\\.\\d+\\.tmp$`);

/** Creates the lock file with its content in one step (write a temp file, then link: fails when the lock exists). */
function tryCreateLock(lockPath: string, lock: LockInfo): boolean {
  const tmp = `${lockPath}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(lock) + "\n");
    fs.linkSync(tmp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw writeFailure(lockPath, error);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
