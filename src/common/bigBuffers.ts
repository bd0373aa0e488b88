/**
 * Large buffers whose checksum is summed on the second core: at 1M plays the feature matrix is
 * 0.67 GB, and its CRC-32 for the stage cache costs ~0.2 s on the thread that builds the
 * matrix otherwise, while the other core sits idle.
 *
 * (Faulting a fresh matrix's pages in from a second thread, ~0.3 s at 1M, was tried: on this
 * VM concurrent page faults serialise, and the writer got slower, not faster.)
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
