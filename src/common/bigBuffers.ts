/**
 * Large buffers whose checksum is summed on the second core: at 1M plays the feature matrix is
 * 0.67 GB, and its CRC-32 for the stage cache costs ~0.2 s on the thread that builds the
 * matrix otherwise, while the other core sits idle.
 *
 * They are also filled on one thread while another maps their pages (`prefaultPages`): a first
 * write to a 4 KiB page costs ~12 µs on this VM (measured 2026-12-02: 2.0–2.5 s for the 1M-play
 * feature matrix, 60 % of its build), and two threads fault in parallel (a 666 MB array in 1.4 s
 * instead of 2.5). The feature stage at 1M took 2.7–3.6 s with it against 3.8–5.5 s without, in
 * alternating runs. The cost of a fault varies with the host: an earlier session measured ~0.3 s
 * of faults at 1M, and concurrent faults that serialised. Where faults are cheap the thread costs
 * a start (~20 ms) and a pass over the pages on the other core.
 *
 * The worker is a few lines of plain JavaScript (no project module, no tsx): it starts in
 * ~20 ms. What cannot go to a worker is summed inline, with the same result.
 */
import { Worker } from "worker_threads";
import * as zlib from "zlib";

/** Below this many bytes a checksum costs less than starting a worker (~10 ms at 3.5 GB/s). */
export const OFF_THREAD_MIN_BYTES = 32 << 20;

const CRC32 = `
const { workerData, parentPort } = require("worker_threads");
const zlib = require("zlib");
let crc = 0;
for (const chunk of workerData.chunks) crc = zlib.crc32(chunk, crc);
parentPort.postMessage(crc);
`;

// Touches each 4 KiB page from the end backwards with a compare-exchange of 0 by 0 on its first
// 32-bit word: the kernel maps the page, and no value ever changes, whoever writes it first.
const PREFAULT = `
const { workerData } = require("worker_threads");
const words = new Int32Array(workerData.buffer);
const stop = new Int32Array(workerData.stop);
for (let i = (words.length - 1) & ~1023; i >= 0; i -= 1024) {
  if ((i & 0xffff) === 0 && Atomics.load(stop, 0) !== 0) break;
  Atomics.compareExchange(words, i, 0, 0);
}
`;

/**
 * Maps the pages of a fresh shared array on the second core while this thread fills it from the
 * start (the thread works backwards from the end; they meet in the middle). Returns the function
 * that stops it once the array is filled. A no-op for a plain (small) array.
 */
export function prefaultPages(array: Float64Array | Float32Array): () => void {
  if (!(array.buffer instanceof SharedArrayBuffer)) return () => undefined;
  const stop = new SharedArrayBuffer(4);
  const worker = startPlainWorker(PREFAULT, { buffer: array.buffer, stop });
  if (!worker) return () => undefined;
  worker.unref();
  worker.on("error", () => undefined);
  return () => {
    Atomics.store(new Int32Array(stop), 0, 1);
    void worker.terminate();
  };
}

function startPlainWorker(source: string, workerData: unknown): Worker | null {
  try {
    // execArgv []: the parent's preloads (tsx, the CLI's bundle) are not needed here
    return new Worker(source, { eval: true, workerData, execArgv: [] });
  } catch {
    return null;
  }
}

/**
 * A zeroed Float64Array of `length`, on a SharedArrayBuffer from OFF_THREAD_MIN_BYTES (a plain
 * one below that), so that a worker can read it in place (`crc32Chunks`). It reads and writes
 * like any other; a worker it is posted to shares it instead of copying it.
 */
export function shareableFloat64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  return bytes < OFF_THREAD_MIN_BYTES ? new Float64Array(length) : new Float64Array(new SharedArrayBuffer(bytes));
}

/** Where `crc32Chunks` sums these chunks: in a worker when one is big and shared, and the plain ones (copied to it) are small. */
export function crc32Thread(chunks: readonly Uint8Array[]): "worker" | "inline" {
  const shared = (c: Uint8Array) => c.buffer instanceof SharedArrayBuffer;
  const plainBytes = chunks.reduce((n, c) => n + (shared(c) ? 0 : c.byteLength), 0);
  return chunks.some((c) => shared(c) && c.byteLength >= OFF_THREAD_MIN_BYTES) && plainBytes < OFF_THREAD_MIN_BYTES ? "worker" : "inline";
}

/**
 * CRC-32 of `chunks` in order (zlib's, as `zlib.crc32` chained over them). A worker computes
 * it when a chunk of at least OFF_THREAD_MIN_BYTES lies on a SharedArrayBuffer (it reads that
 * memory in place; plain chunks are copied to it, so they must be small); otherwise inline.
 * The chunks must not change until the promise settles.
 */
export function crc32Chunks(chunks: readonly Uint8Array[]): Promise<number> {
  const inline = (): number => chunks.reduce((crc, c) => zlib.crc32(c, crc), 0);
  if (crc32Thread(chunks) === "inline") return Promise.resolve(inline());
  const worker = startPlainWorker(CRC32, { chunks });
  if (!worker) return Promise.resolve(inline());
  return new Promise<number>((resolve) => {
    let settled = false;
    // `sum` is called only by the first event: the worker's answer, or (if it died without one) the inline sum
    const settle = (sum: () => number) => {
      if (settled) return;
      settled = true;
      resolve(sum());
    };
    worker.once("message", (crc: number) => settle(() => crc));
    worker.once("error", () => settle(inline));
    worker.once("exit", () => settle(inline));
  });
}
