/**
 * `ingestExportAsync`: the same ingestion as `ingestExport`, with the Extended Streaming
 * History files (read + decode + JSON.parse + validate: most of the cost) parsed by
 * worker threads as well as the main thread.
 *
 * The main thread still drives the one sequential loop (`ingestSteps`) file by file in
 * the report's order; before each extended-history file it gets the file's ExtendedChunk
 * when one is ready, so interning, dedup (first occurrence in file order wins), the
 * filters, the report and every message are computed exactly as `ingestExport` computes
 * them. Scheduling: workers take files from the front (up to 2 queued each); when the
 * file the loop needs next is not taken yet, the main thread reads it inline; when it is
 * still in a worker, the main thread pre-parses the LAST untaken file meanwhile, so both
 * cores stay busy. A file a worker cannot handle (unreadable, damaged, not an extended
 * array) comes back as null and is read inline, where its warning or error is raised.
 * Zip entries are parsed alike: the worker inflates the entry from the archive's bytes, which
 * it shares with this thread (a SharedArrayBuffer). Every other package is read inline.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startWorker } from "../common/worker";
import { isJsonName, mayBeExtended, roleFromName } from "./classify";
import { ingestSteps } from "./steps";
import { preParse, type PreParsed, type PreParseTask } from "./preparse";
import type { PreParseReply } from "./parseWorker";
import type { SourceFile } from "./sources";
import type { IngestOptions, IngestResult } from "./types";

export interface ParallelIngestOptions {
  /** Parse in parallel only from this many bytes of extended-history JSON (default 64 MB; 0 = always). */
  minBytes?: number;
  /** Worker threads (default: CPU count − 1; 0 = sequential). */
  workers?: number;
  /** Called at the end with who parsed the extended-history files. */
  onStats?: (stats: ParallelIngestStats) => void;
  /** Called once the files are listed, before any is parsed: whether they will be parsed on several threads. */
  onPlan?: (plan: { extendedBytes: number; parallel: boolean }) => void;
}

/** Builds the pool that parses files off the loop; tests inject a variant of ParsePool (another schedule, a missing worker). */
export type ParsePoolFactory = (tasks: PreParseTask[], workers: number) => ParsePool;

export interface ParallelIngestStats {
  /** Files parsed by a worker, pre-parsed by the main thread, read inline by the main thread. */
  worker: number;
  mainAhead: number;
  inline: number;
  workersStarted: number;
}

export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

/** Reads a Spotify data export like `ingestExport` (same result, same errors), parsing on several threads when it is large. */
export async function ingestExportAsync(
  options: IngestOptions,
  parallel: ParallelIngestOptions = {},
  makePool: ParsePoolFactory = (tasks, workers) => new ParsePool(tasks, workers),
): Promise<IngestResult> {
  const minBytes = parallel.minBytes ?? PARALLEL_MIN_BYTES;
  const workers = parallel.workers ?? Math.max(0, os.cpus().length - 1);
  let plan: SourceFile[] = [];
  const steps = ingestSteps(options, (ordered) => {
    plan = ordered;
  });
  let step = steps.next();
  if (step.done) return step.value;

  const tasks: PreParseTask[] = [];
  const taskOf = new Map<SourceFile, number>();
  let bytes = 0;
  for (const src of plan) {
    if (!(src.path || src.zip) || !isJsonName(src.base)) continue;
    if (!mayBeExtended(roleFromName(src.base, src.hint), src.hint)) continue;
    if (src.path) {
      try {
        bytes += fs.statSync(src.path).size;
      } catch {
        continue;
      }
    } else bytes += src.size ?? 0;
    taskOf.set(src, tasks.length);
    tasks.push({ id: tasks.length, path: src.path, zip: src.zip, base: src.base, hint: src.hint });
  }

  const several = workers > 0 && tasks.length > 1 && bytes >= minBytes;
  // Before the pool starts: a throwing callback must not leave its workers running.
  parallel.onPlan?.({ extendedBytes: bytes, parallel: several });
  const pool = several ? makePool(tasks, workers) : null;
  try {
    // `!== true`, not `!step.done`: tslab's non-strict TypeScript narrows the result only by equality.
    while (step.done !== true) {
      const t = pool ? taskOf.get(step.value.src) : undefined;
      const pre = t === undefined || !pool ? undefined : await pool.take(t);
      step = steps.next(pre);
    }
    if (parallel.onStats) parallel.onStats(pool ? pool.stats : { worker: 0, mainAhead: 0, inline: tasks.length, workersStarted: 0 });
    return step.value;
  } finally {
    pool?.close();
  }
}

const PENDING = 0;
const IN_WORKER = 1;
const DONE = 2;
const TAKEN = 3;
/** Files queued per worker: one being parsed, one waiting, so it never idles while the main thread is busy. */
const QUEUE = 2;

interface PoolWorker {
  worker: import("worker_threads").Worker;
  ready: boolean;
  dead: boolean;
  queued: Set<number>;
}

/**
 * Worker threads parsing extended-history files ahead of the loop. Two hooks for variants:
 * `workerSource` (the worker's module) and `mainThreadParses` (whether the main thread may
 * parse a file itself while a worker is alive).
 */
export class ParsePool {
  private readonly state: Uint8Array;
  private readonly results: (PreParsed | null)[];
  private readonly workers: PoolWorker[] = [];
  /** Lowest task the loop has not consumed yet. */
  private cursor = 0;
  private closed = false;
  private wake: (() => void) | null = null;
  readonly stats: ParallelIngestStats = { worker: 0, mainAhead: 0, inline: 0, workersStarted: 0 };

  constructor(
    private readonly tasks: PreParseTask[],
    count: number,
  ) {
    this.state = new Uint8Array(tasks.length);
    this.results = new Array<PreParsed | null>(tasks.length).fill(null);
    for (let i = 0; i < count; i++) {
      const w = this.start();
      if (!w) break;
      this.workers.push(w);
      this.stats.workersStarted++;
    }
  }

  /** The module a worker runs. */
  protected workerSource(): string {
    return path.join(__dirname, "parseWorker.ts");
  }

  /** Whether the main thread reads a file itself when no worker has it yet (false: leave every file to the workers while one is alive). */
  protected mainThreadParses(): boolean {
    return true;
  }

  /** Starts a parse worker; null when it cannot. */
  private start(): PoolWorker | null {
    const worker = startWorker(this.workerSource());
    if (!worker) return null;
    const w: PoolWorker = { worker, ready: false, dead: false, queued: new Set() };
    worker.on("message", (m: PreParseReply | { ready: true }) => {
      if ("ready" in m) {
        w.ready = true;
      } else if (w.queued.delete(m.id)) {
        this.results[m.id] = m.pre;
        this.state[m.id] = DONE;
        this.stats.worker++;
      }
      this.refill();
      this.notify();
    });
    const fail = (): void => {
      if (w.dead) return;
      w.dead = true;
      // Its files go back to the queue: the main thread (or another worker) reads them.
      for (const id of w.queued) if (this.state[id] === IN_WORKER) this.state[id] = PENDING;
      w.queued.clear();
      if (!this.closed) {
        this.refill();
        this.notify();
      }
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return w;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }

  private refill(): void {
    if (this.closed) return;
    let next = this.cursor;
    for (const w of this.workers) {
      if (!w.ready || w.dead) continue;
      while (w.queued.size < QUEUE) {
        while (next < this.tasks.length && this.state[next] !== PENDING) next++;
        if (next >= this.tasks.length) return;
        this.state[next] = IN_WORKER;
        w.queued.add(next);
        w.worker.postMessage(this.tasks[next]);
      }
    }
  }

  /** Task `id`'s chunk, or undefined: the loop reads the file itself. Tasks are taken in increasing order. */
  async take(id: number): Promise<PreParsed | undefined> {
    // The main thread means to read this file itself if no worker has it yet (unless it leaves them all to the workers).
    const mainParses = this.mainThreadParses();
    this.cursor = mainParses ? id + 1 : id;
    for (;;) {
      // Let replies that arrived during the last file land (and refill the workers).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const st = this.state[id];
      if (st === DONE) {
        const pre = this.results[id];
        this.results[id] = null;
        this.state[id] = TAKEN;
        return pre ?? undefined;
      }
      const waitForWorkers = !mainParses && this.workers.some((w) => !w.dead);
      if (st === PENDING && waitForWorkers) {
        this.refill();
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      if (st === PENDING) {
        this.stats.inline++;
        this.state[id] = TAKEN;
        this.refill();
        return undefined;
      }
      // Still in a worker: parse the last untaken file meanwhile, or wait.
      let last = this.tasks.length - 1;
      while (last > id && this.state[last] !== PENDING) last--;
      if (last > id && !waitForWorkers) {
        this.stats.mainAhead++;
        this.state[last] = TAKEN;
        this.results[last] = preParse(this.tasks[last]);
        this.state[last] = DONE;
        continue;
      }
      if (this.state[id] === IN_WORKER) await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) {
      w.dead = true;
      void w.worker.terminate();
    }
  }
}
