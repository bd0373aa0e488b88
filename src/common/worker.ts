/**
 * Worker threads that run this project's TypeScript modules, for every stage that parallelises
 * (ingest's file parsers, the model stage's fits). The worker loads TypeScript through tsx's
 * CommonJS hook, so it starts alike under the tsx CLI, `node --import tsx` and the notebooks'
 * kernel.
 *
 * Two shapes: `startWorker` gives a long-lived worker to talk to (ingest's parse pool);
 * `runWorkerJob` / `serveWorkerJob` are one job → one reply (a model fit), `startWorkerJob` the
 * same with the worker started before its job is known (the figures).
 */
import { Worker, parentPort } from "worker_threads";

export interface StartWorkerOptions {
  /** The worker's `workerData` (structured-cloned, except the buffers in `transferList`). */
  workerData?: unknown;
  /** Buffers moved to the worker, not copied (they are detached here). */
  transferList?: ArrayBuffer[];
  /**
   * Packages the worker requires before tsx's hook is registered: through Node's own loader a
   * big bundle loads without tsx's per-file ESM scan (tfjs: a worker ready in ~0.35 s of CPU
   * instead of ~0.8 s; see scripts/preload.cjs).
   */
  preload?: readonly string[];
}

/**
 * The parent's Node options without its preloaded modules (`-r`, `--require`, `--import`,
 * loaders): a worker inherits them otherwise, and would load the CLI's whole fast-start bundle
 * (scripts/preload.cjs: tfjs, vega, arrow…, ~0.55 s of CPU) before its own `preload` and tsx.
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i];
    if (arg === "-r" || arg === "--require" || arg === "--import" || arg === "--loader" || arg === "--experimental-loader") i++;
    else if (!/^(--require|--import|--loader|--experimental-loader)=/.test(arg)) out.push(arg);
  }
  return out;
}

/** Starts `modulePath` (an absolute .ts or .js path) in a worker thread; null when no worker can be started. */
export function startWorker(modulePath: string, options: StartWorkerOptions = {}): Worker | null {
  try {
    const tsxCjs = require.resolve("tsx/cjs");
    const preload = (options.preload ?? []).map((name) => `require(${JSON.stringify(require.resolve(name))}); `).join("");
    return new Worker(`${preload}require(${JSON.stringify(tsxCjs)}); require(${JSON.stringify(modulePath)});`, {
      eval: true,
      execArgv: workerExecArgv(),
      workerData: options.workerData,
      transferList: options.transferList,
    });
  } catch {
    return null;
  }
}

/**
 * How long a worker lets its event loop run before its work blocks it. tsx writes each module
 * it compiles to its disk cache asynchronously (open, write, close: a few loop turns). A worker
 * that blocks its loop from its first line and is then terminated never lets those writes land,
 * so every run compiled its modules again, esbuild's service starting first: 0.15-0.26 s of
 * CPU per worker, on the outputs stage's critical path (bench/README.md).
 */
const LET_CACHE_WRITES_LAND_MS = 20;

/** Resolves once this thread's pending compile-cache writes have had time to finish (`LET_CACHE_WRITES_LAND_MS`). */
export function afterCompileCacheWrites(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, LET_CACHE_WRITES_LAND_MS));
}

/** What `serveWorkerJob` posts back: the handler's result, or the error it threw. */
type JobEnvelope<R> = { ok: R } | { error: { name: string; message: string; stack?: string } };

/** A one-job worker started before its job is known: it loads its modules meanwhile (`startWorkerJob`). */
export interface WorkerJob<J, R> {
  /**
   * Hands the worker its job (moving `transfer`); resolves with the handler's result, or null
   * when the worker could not start or failed without replying: not a failure of the job itself,
   * so the caller runs it inline instead, where a real problem throws as it would have. An error
   * the handler threw is rethrown here with its name, message and stack. Call it once.
   */
  run(job: J, transfer?: ArrayBuffer[]): Promise<R | null>;
  /** Stops the worker when its job will not come (the run failed before it); nothing once `run` was called. */
  cancel(): void;
}

/**
 * Starts `modulePath` (whose body calls `serveWorkerJob`) now, to run one job given later: the
 * worker loads its packages and modules while this thread works on what the job needs.
 */
export function startWorkerJob<J, R>(modulePath: string, options: Pick<StartWorkerOptions, "preload"> = {}): WorkerJob<J, R> {
  const worker = startWorker(modulePath, { preload: options.preload });
  let ended = !worker;
  const reply = new Promise<R | null>((resolve, reject) => {
    if (!worker) return resolve(null);
    worker.once("message", (envelope: JobEnvelope<R>) => {
      ended = true;
      void worker.terminate();
      if ("error" in envelope) {
        const err = new Error(envelope.error.message);
        err.name = envelope.error.name;
        if (envelope.error.stack) err.stack = envelope.error.stack;
        reject(err);
      } else {
        resolve(envelope.ok);
      }
    });
    const failed = () => {
      ended = true;
      resolve(null);
    };
    worker.once("error", failed);
    worker.once("exit", failed);
  });
  // Until it has its job, a waiting worker must not keep the process alive (after the listeners:
  // adding a "message" listener refs the worker again).
  worker?.unref();
  let given = false;
  return {
    run(job, transfer = []) {
      given = true;
      if (worker && !ended) {
        worker.ref();
        worker.postMessage(job, transfer);
      }
      return reply;
    },
    cancel() {
      // Once it has its job the worker finishes it: the caller awaits `run` instead.
      if (given) return;
      ended = true;
      void worker?.terminate();
    },
  };
}

/**
 * Runs one job in a worker: starts `modulePath` (whose body calls `serveWorkerJob`) and hands it
 * `job`. Resolves and rejects as `WorkerJob.run`.
 */
export function runWorkerJob<R>(modulePath: string, job: unknown, transfer: ArrayBuffer[] = [], options: Pick<StartWorkerOptions, "preload"> = {}): Promise<R | null> {
  return startWorkerJob<unknown, R>(modulePath, options).run(job, transfer);
}

/**
 * The worker side of `startWorkerJob` / `runWorkerJob`: runs `handler` on the job the parent
 * posts (its first message) and posts its result (moving `transfer`), or the error it threw.
 * Does nothing on the main thread.
 */
export function serveWorkerJob<J, R>(handler: (job: J) => Promise<{ result: R; transfer?: ArrayBuffer[] }>): void {
  const port = parentPort;
  if (!port) return;
  const job = new Promise<J>((resolve) => port.once("message", resolve));
  void afterCompileCacheWrites()
    .then(() => job)
    .then(handler)
    .then(
      ({ result, transfer }) => port.postMessage({ ok: result } satisfies JobEnvelope<R>, transfer ?? []),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ error: { name: err.name, message: err.message, stack: err.stack } } satisfies JobEnvelope<R>);
      },
    );
}
