/**
 * Large buffers written and checksummed on the second core: at 1M plays the feature matrix is
 * 0.67 GB, and its write and CRC-32 for the stage cache would otherwise wait on the thread that
 * builds the matrix and then trains the models (`writeFilesWithCrc32`).
 *
 * They are also filled on one thread while another maps their pages (`prefaultPages`): a first
 * write to a 4 KiB page costs ~12 µs on this VM (measured 2026-12-02: 2.0–2.5 s for the 1M-play
 * feature matrix, 60 % of its build), and two threads fault in parallel (a 666 MB array in 1.4 s
 * instead of 2.5). The feature stage at 1M took 2.7–3.6 s with it against 3.8–5.5 s without, in
 * alternating runs. The cost of a fault varies with the host: an earlier session measured ~0.3 s
 * of faults at 1M, and concurrent faults that serialised. Where faults are cheap the thread costs
 * a start (~20 ms) and a pass over the pages on the other core.
 *
 * Why (found 2026-12-03): the VM's balloon driver reports free pages to the host (virtio-balloon
 * free page reporting), which takes them back within seconds of their release. A page the guest
 * kernel then hands out again is backed by the host at its first touch: ~25 µs. A page freed
 * moments ago is not yet reported and costs ~2 µs. Touching a fresh 666 MB array took 0.3 s just
 * after another process had freed that much, and 1.9–4.0 s without. Peak memory is therefore
 * time here, and so are the pages of the page cache a big file is written into (`DIRECT_BLOCK`).
 *
 * Read back from the stage cache (`readFileWithCrc32`), a big file is read on one thread while
 * a helper sums each chunk read and maps the pages ahead: the 1M-play matrix in ~2.2 s instead of
 * ~3.4 s (read, then sum) on this VM.
 *
 * The worker is a few lines of plain JavaScript (no project module, no tsx): it starts in
 * ~20 ms. What cannot go to a worker is summed inline, with the same result.
 */
import * as fs from "fs";
import { Worker } from "worker_threads";
import * as zlib from "zlib";

/** Below this many bytes a checksum costs less than starting a worker (~10 ms at 3.5 GB/s). */
export const OFF_THREAD_MIN_BYTES = 32 << 20;

/**
 * Direct I/O (O_DIRECT): how `writeFilesWithCrc32` writes a big cache file, and how
 * `readFileWithCrc32` reads it back: past the page cache. Written through the page cache, a file
 * takes a page per 4 KiB, each a first touch at ~25 µs on this VM when no memory was freed
 * lately (see above): the 1M-play feature matrix (666 MB) took 5.4–6.2 s to write that way, and
 * 0.2 s just after a process had freed as much; written directly, 0.45 s either way (measured
 * 2026-12-03). Read back from the disk directly: 0.65 s (through the page cache: 1.25 s from
 * the disk, 0.35 s when cached).
 * Transfers must start at a multiple of DIRECT_BLOCK in the file and in memory, and an
 * ArrayBuffer's address is not known from JavaScript: the first transfer tries each 16-byte
 * offset into a buffer one block longer than needed until one is accepted. A file system that
 * refuses O_DIRECT (tmpfs before Linux 6.6, some network file systems) or any offset gets the
 * ordinary calls instead, as does the rest of a file whose direct transfer is refused part-way.
 */
const DIRECT_BLOCK = 4096;

// writeDirect(path, chunks): the chunks written with O_DIRECT through an aligned bounce buffer,
// and {bytes, crc32, direct: true}; null (nothing written, the file truncated) where refused.
const DIRECT_WRITE = `
const DIRECT_BLOCK = ${DIRECT_BLOCK};
const BOUNCE_BYTES = 8 << 20;
function refused(error) {
  return !!error && (error.code === "EINVAL" || error.code === "EOPNOTSUPP" || error.code === "ENOTSUP");
}
function writeDirect(path, chunks) {
  let fd;
  try {
    fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_DIRECT, 0o666);
  } catch (error) {
    if (refused(error)) return null;
    throw error;
  }
  try {
    const raw = new Uint8Array(BOUNCE_BYTES + DIRECT_BLOCK);
    let base = -1;
    for (let o = 0; o < DIRECT_BLOCK && base < 0; o += 16) {
      try {
        fs.writeSync(fd, raw, o, DIRECT_BLOCK, 0);
        base = o;
      } catch (error) {
        if (!refused(error)) throw error;
      }
    }
    if (base < 0) return null;
    const bounce = raw.subarray(base, base + BOUNCE_BYTES);
    let crc = 0, bytes = 0, filled = 0, position = 0;
    const flush = (n) => {
      for (let off = 0; off < n; ) off += fs.writeSync(fd, bounce, off, n - off, position + off);
      position += n;
    };
    for (const chunk of chunks) {
      crc = zlib.crc32(chunk, crc);
      bytes += chunk.length;
      for (let at = 0; at < chunk.length; ) {
        const n = Math.min(BOUNCE_BYTES - filled, chunk.length - at);
        bounce.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === BOUNCE_BYTES) {
          flush(filled);
          filled = 0;
        }
      }
    }
    // The last block goes out whole (zero-padded), and the file is cut back to its length.
    if (filled > 0) {
      const padded = Math.ceil(filled / DIRECT_BLOCK) * DIRECT_BLOCK;
      bounce.fill(0, filled, padded);
      flush(padded);
    }
    fs.ftruncateSync(fd, bytes);
    return { bytes, crc32: crc, direct: true };
  } catch (error) {
    // Refused part-way (a short transfer left the next one unaligned): written the ordinary way instead.
    if (refused(error)) {
      fs.ftruncateSync(fd, 0);
      return null;
    }
    throw error;
  } finally {
    fs.closeSync(fd);
  }
}
`;

/**
 * DIRECT_WRITE's functions on this thread: `writeDirect` for a big file written here (the ingest
 * entry's plays, 85 MB at 1M plays, in plain chunks that cannot be shared), and `refused`, which
 * tells a refusal of O_DIRECT (then the ordinary calls) from a real error, for the reads too.
 * One implementation for both threads: the worker's source text.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the worker's own code, from a constant of this module
const directHere = new Function("fs", "zlib", `${DIRECT_WRITE}\nreturn { writeDirect, refused };`) as (
  f: typeof fs,
  z: typeof zlib,
) => { writeDirect: (path: string, chunks: readonly Uint8Array[]) => FileDigest | null; refused: (error: unknown) => boolean };
const { writeDirect: writeDirectHere, refused: refusedDirect } = directHere(fs, zlib);

const WRITE_FILES = `
const { workerData, parentPort } = require("worker_threads");
const fs = require("fs");
const zlib = require("zlib");
${DIRECT_WRITE}
const written = [];
try {
  for (const file of workerData.files) {
    const direct = writeDirect(file.path, file.chunks);
    if (direct) {
      written.push(direct);
      continue;
    }
    const fd = fs.openSync(file.path, "w");
    let crc = 0;
    let bytes = 0;
    try {
      for (const chunk of file.chunks) {
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
        crc = zlib.crc32(chunk, crc);
        bytes += chunk.length;
      }
    } finally {
      fs.closeSync(fd);
    }
    written.push({ bytes, crc32: crc });
  }
  parentPort.postMessage({ written });
} catch (error) {
  parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } });
}
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

// The reader's helper: sums the CRC-32 of each chunk as soon as the reader has filled it and,
// while it has none to sum, maps pages from the end of the buffer down towards the reader (as
// PREFAULT does). state: [chunks read (-1: the reader gave up), chunks summed, CRC-32, done (1)
// or failed (2), started (1)].
const READ_HELPER = `
const { workerData } = require("worker_threads");
const zlib = require("zlib");
const state = new Int32Array(workerData.state);
Atomics.store(state, 4, 1);
try {
const bytes = new Uint8Array(workerData.buffer, workerData.offset, workerData.length);
const words = new Int32Array(workerData.buffer, workerData.offset, Math.floor(bytes.length / 4));
const chunk = workerData.chunk;
const chunks = Math.ceil(bytes.length / chunk);
let crc = 0;
let page = words.length - 1 - ((words.length - 1) % 1024);
for (let next = 0; next < chunks; ) {
  const read = Atomics.load(state, 0);
  if (read < 0) break;
  if (read > next) {
    crc = zlib.crc32(bytes.subarray(next * chunk, Math.min(bytes.length, (next + 1) * chunk)), crc);
    Atomics.store(state, 1, ++next);
  } else if (page * 4 >= (read + 2) * chunk) {
    for (let k = 0; k < 256 && page * 4 >= (read + 2) * chunk; k++, page -= 1024) Atomics.compareExchange(words, page, 0, 0);
  } else {
    Atomics.wait(state, 0, read, 50);
  }
}
state[2] = crc;
Atomics.store(state, 3, 1);
} catch {
Atomics.store(state, 3, 2);
}
Atomics.notify(state, 3);
`;

/** Bytes the reader reads at a time (and the helper sums at a time). */
const READ_CHUNK_BYTES = 8 << 20;

/**
 * Reads a whole file of `bytes` bytes and its CRC-32 (zlib's). From OFF_THREAD_MIN_BYTES the
 * buffer lies on a SharedArrayBuffer and a helper thread sums each chunk as soon as it is read
 * and maps the pages ahead of the reader, so the read, its page faults and the checksum overlap
 * (the 1M-play feature matrix: 666 MB, ~2.2 s to read into fresh pages and ~1.2 s to sum one
 * after the other on this VM). Synchronous: the caller waits on the helper with Atomics.wait.
 * `direct`: a file written past the page cache (`FileDigest.direct`) is read the same way, from
 * the disk into the buffer (`DIRECT_BLOCK`), where the file system allows it.
 * Throws as fs.readFileSync does; a file of another length is returned as it is (the caller
 * compares lengths).
 */
export function readFileWithCrc32(file: string, options: { direct?: boolean } = {}): { bytes: Buffer; crc32: number } {
  const size = fs.statSync(file).size;
  if (size < OFF_THREAD_MIN_BYTES) {
    const bytes = fs.readFileSync(file);
    return { bytes, crc32: zlib.crc32(bytes) };
  }
  // Opened before the helper starts: a file that cannot be opened leaves no thread behind.
  const directFd = options.direct ? openDirect(file) : null;
  let fd = directFd ?? fs.openSync(file, "r");
  let direct = directFd !== null;
  // The rest is read the ordinary way (O_DIRECT refused, or a short read left the position
  // unaligned). The new descriptor is opened before the old one is closed: a failed open leaves
  // `fd` open, for the `finally` below to close once.
  const readOnPlainly = (): void => {
    const plain = fs.openSync(file, "r");
    fs.closeSync(fd);
    fd = plain;
    direct = false;
  };
  const state = new Int32Array(new SharedArrayBuffer(20));
  let helper: Worker | null = null;
  let bytes: Buffer;
  let read = 0;
  try {
    // Room for the bytes to start at an aligned address, and for the last block read whole.
    const shared = new SharedArrayBuffer(size + 2 * DIRECT_BLOCK);
    const base = direct ? alignedReadOffset(fd, shared) : 0;
    if (base < 0) readOnPlainly();
    const offset = Math.max(base, 0);
    bytes = Buffer.from(shared, offset, size);
    helper = startPlainWorker(READ_HELPER, { buffer: shared, offset, length: size, state: state.buffer, chunk: READ_CHUNK_BYTES });
    helper?.unref();
    helper?.on("error", () => undefined);
    for (let at = 0, k = 0; at < size; k++) {
      const end = Math.min(size, at + READ_CHUNK_BYTES);
      while (at < end) {
        // Directly, whole blocks from an aligned position (the last one past the end: a short read).
        const want = direct ? Math.ceil((end - at) / DIRECT_BLOCK) * DIRECT_BLOCK : end - at;
        let n: number;
        try {
          n = fs.readSync(fd, new Uint8Array(shared, offset + at, want), 0, want, at);
        } catch (error) {
          if (!(direct && refusedDirect(error))) throw error;
          readOnPlainly();
          continue;
        }
        if (n === 0) throw Object.assign(new Error(`${file}: the file ended at ${at} of ${size} bytes while being read`), { code: "EOF" });
        at = Math.min(end, at + n);
        if (direct && at < end && at % DIRECT_BLOCK !== 0) readOnPlainly();
      }
      read = k + 1;
      Atomics.store(state, 0, read);
      Atomics.notify(state, 0);
    }
  } catch (error) {
    Atomics.store(state, 0, -1);
    Atomics.notify(state, 0);
    void helper?.terminate();
    throw error;
  } finally {
    fs.closeSync(fd);
  }
  // The helper's sum, unless it does not get there: no helper, it failed, it has not started
  // within 10 s (a busy machine can take seconds to start a thread), or it summed no chunk for 2 s.
  let progress = Atomics.load(state, 4) + Atomics.load(state, 1);
  let stalledSince = Date.now();
  while (helper && Atomics.load(state, 3) === 0 && Date.now() - stalledSince < (Atomics.load(state, 4) === 1 ? 2000 : 10_000)) {
    Atomics.wait(state, 3, 0, 100);
    // its start and each chunk summed count as progress
    const now = Atomics.load(state, 4) + Atomics.load(state, 1);
    if (now !== progress) [progress, stalledSince] = [now, Date.now()];
  }
  if (helper && Atomics.load(state, 3) === 1) {
    void helper.terminate();
    return { bytes, crc32: state[2] >>> 0 };
  }
  void helper?.terminate();
  return { bytes, crc32: zlib.crc32(bytes) };
}

/** `file` opened for reading with O_DIRECT; null where the file system refuses it. */
function openDirect(file: string): number | null {
  try {
    return fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
  } catch (error) {
    if (refusedDirect(error)) return null;
    throw error;
  }
}

/** The first 16-byte offset into `buffer` that a direct read of one block lands at (then aligned); -1 if none. */
function alignedReadOffset(fd: number, buffer: SharedArrayBuffer): number {
  for (let offset = 0; offset < DIRECT_BLOCK; offset += 16) {
    try {
      fs.readSync(fd, new Uint8Array(buffer, offset, DIRECT_BLOCK), 0, DIRECT_BLOCK, 0);
      return offset;
    } catch (error) {
      if (!refusedDirect(error)) throw error;
    }
  }
  return -1;
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
 * one below that), so that a worker can read it in place (`writeFilesWithCrc32`). It reads and writes
 * like any other; a worker it is posted to shares it instead of copying it.
 */
export function shareableFloat64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  return bytes < OFF_THREAD_MIN_BYTES ? new Float64Array(length) : sharedArray(Float64Array, length);
}

/**
 * A zeroed typed array of `length` on a SharedArrayBuffer. It reads and writes like any other,
 * and a worker it is posted to shares it instead of copying it into fresh pages (the play
 * table's columns, posted to the Parquet worker: 0.3–0.6 s of copying at 1M plays).
 */
export function sharedArray<T>(type: { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, length: number): T {
  return new type(new SharedArrayBuffer(length * type.BYTES_PER_ELEMENT));
}

/** A file to write: where, and its bytes as chunks in order (never joined into one copy). */
export interface ChunkedFile {
  path: string;
  chunks: readonly Uint8Array[];
}

/** A written file's length and CRC-32 (zlib's, chained over its chunks). */
export interface FileDigest {
  bytes: number;
  crc32: number;
  /**
   * Written past the page cache (`writeFilesWithCrc32`, from OFF_THREAD_MIN_BYTES, where the file
   * system allows it): not in memory, so read it back with `readFileWithCrc32(file, { direct: true })`.
   */
  direct?: true;
}

/** Writes `chunks` to `file` in order (strings as UTF-8) with synchronous writes. @returns its length and CRC-32, summed as written */
export function writeChunksSync(file: string, chunks: Iterable<string | Uint8Array>): FileDigest {
  const fd = fs.openSync(file, "w");
  const digest = { bytes: 0, crc32: 0 };
  try {
    for (const chunk of chunks) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      for (let off = 0; off < bytes.byteLength; ) off += fs.writeSync(fd, bytes, off);
      digest.bytes += bytes.byteLength;
      digest.crc32 = zlib.crc32(bytes, digest.crc32);
    }
  } finally {
    fs.closeSync(fd);
  }
  return digest;
}

/**
 * Writes each file and sums its CRC-32. A file holding a chunk of OFF_THREAD_MIN_BYTES or more
 * on a SharedArrayBuffer (and only small plain ones besides: they are copied to it) is written,
 * and summed, by a worker thread with synchronous writes, so it reaches the disk however busy
 * this thread is: Node's asynchronous writes wait for this thread's event loop between pieces,
 * and the stage cache's 0.67 GB matrix at 1M plays, written that way beside the model stages,
 * was still being written (and held in memory) at the end of the run. The worker reads the
 * shared chunks in place, and writes past the page cache where the file system allows it
 * (`DIRECT_BLOCK`; such a file's entry says `direct`). The other files, or all when no worker
 * starts, are written here, synchronously, with the same sums, and past the page cache too from
 * OFF_THREAD_MIN_BYTES. The chunks must not change until the promise settles.
 * @returns one entry per file, in order; rejects with a write's error (its `code` kept)
 */
export function writeFilesWithCrc32(files: readonly ChunkedFile[]): Promise<FileDigest[]> {
  const offThread = files.filter((f) => writesOffThread(f.chunks));
  const worker = offThread.length > 0 ? startPlainWorker(WRITE_FILES, { files: offThread }) : null;
  const here = worker ? files.filter((f) => !offThread.includes(f)) : files;
  // Where each file's answer comes from: nothing that waits below holds the worker's chunks.
  const from = files.map((f): [boolean, number] => (worker && offThread.includes(f) ? [true, offThread.indexOf(f)] : [false, here.indexOf(f)]));
  return inOrder(worker ? answerOf(worker) : Promise.resolve([]), writeFilesHere(here), from);
}

async function inOrder(there: Promise<FileDigest[]>, local: Promise<FileDigest[]>, from: [boolean, number][]): Promise<FileDigest[]> {
  const [a, b] = await Promise.all([there, local]);
  return from.map(([onWorker, k]) => (onWorker ? a[k] : b[k]));
}

/** Whether `writeFilesWithCrc32` gives a file with these chunks to its worker: a big chunk is shared, and the plain ones (copied) are small. */
export function writesOffThread(chunks: readonly Uint8Array[]): boolean {
  const shared = (c: Uint8Array) => c.buffer instanceof SharedArrayBuffer;
  const plainBytes = chunks.reduce((n, c) => n + (shared(c) ? 0 : c.byteLength), 0);
  return chunks.some((c) => shared(c) && c.byteLength >= OFF_THREAD_MIN_BYTES) && plainBytes < OFF_THREAD_MIN_BYTES;
}

/**
 * The writing worker's answer. Its listeners close over nothing but the worker: the caller's
 * chunks (a 0.67 GB matrix) are not kept alive until this thread's event loop takes the answer.
 */
function answerOf(worker: Worker): Promise<FileDigest[]> {
  return new Promise<FileDigest[]>((resolve, reject) => {
    worker.once("message", (answer: { written: FileDigest[] } | { error: { message: string; code?: string } }) => {
      if ("written" in answer) resolve(answer.written);
      else reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
    });
    worker.once("error", reject);
    worker.once("exit", () => reject(new Error("the thread writing the files stopped before it answered")));
  });
}

/**
 * `writeFilesWithCrc32` on this thread, with synchronous writes: the bytes are on disk (and free
 * to go) when this returns, not held until an event loop that the model stages keep busy turns
 * often enough (the ingest entry's 85 MB at 1M plays took the whole run that way).
 */
// eslint-disable-next-line @typescript-eslint/require-await -- async only so that a failed write becomes a rejection
async function writeFilesHere(files: readonly ChunkedFile[]): Promise<FileDigest[]> {
  return files.map((file) => (chunkBytes(file.chunks) >= OFF_THREAD_MIN_BYTES && writeDirectHere(file.path, file.chunks)) || writeChunksSync(file.path, file.chunks));
}

function chunkBytes(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.byteLength, 0);
}

