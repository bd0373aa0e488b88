/**
 * Large buffers written or read with their CRC-32 summed on another thread (src/common/bigBuffers.ts):
 * the same bytes and sums as zlib's on this thread, whichever thread computes them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { createRequire } from "module";
import { OFF_THREAD_MIN_BYTES, prefaultPages, readFileWithCrc32, shareableFloat64Array, writeFilesWithCrc32, writesOffThread } from "../src/common/bigBuffers";

const inlineCrc = (chunks: Uint8Array[]) => chunks.reduce((crc, c) => zlib.crc32(c, crc), 0);
const bytesOf = (x: Float64Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/** How many times this thread called zlib.crc32 while `run` ran (workers have their own zlib). */
async function crc32CallsHere<T>(run: () => T | Promise<T>): Promise<{ calls: number; result: T }> {
  // the module object src/ calls through (an import namespace here may be a copy of it)
  const zlibModule = createRequire(__filename)("zlib") as { crc32: typeof zlib.crc32 };
  const original = zlibModule.crc32;
  let calls = 0;
  zlibModule.crc32 = ((data: Uint8Array, value?: number) => {
    calls++;
    return original(data, value);
  }) as typeof zlib.crc32;
  try {
    return { result: await run(), calls };
  } finally {
    zlibModule.crc32 = original;
  }
}

test("a matrix from OFF_THREAD_MIN_BYTES lies on shared memory, a smaller one does not; both start zeroed", () => {
  const big = shareableFloat64Array(OFF_THREAD_MIN_BYTES / 8);
  const small = shareableFloat64Array(1000);
  assert.ok(big.buffer instanceof SharedArrayBuffer);
  assert.ok(!(small.buffer instanceof SharedArrayBuffer));
  assert.equal(big.length, OFF_THREAD_MIN_BYTES / 8);
  assert.ok(big.every((v) => v === 0) && small.every((v) => v === 0));
});

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "write-files-"));

/** Whether the file system of `dir` accepts O_DIRECT (a disk's does; tmpfs before Linux 6.6 refuses it). */
function acceptsDirect(dir: string): boolean {
  const probe = path.join(dir, "direct-probe");
  try {
    fs.closeSync(fs.openSync(probe, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_DIRECT));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EINVAL") throw error;
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

test("writeFilesWithCrc32 writes a file with a big shared chunk on a worker (the chunk in place, small plain chunks around it), the others here: each as its chunks in order, with zlib's CRC-32", async () => {
  const X = shareableFloat64Array(OFF_THREAD_MIN_BYTES / 8 + 3);
  for (let i = 0; i < X.length; i += 97) X[i] = Math.sin(i) * 1e6;
  const dir = tmpDir();
  const big = { path: path.join(dir, "big"), chunks: [Uint8Array.from([1, 2, 3, 250]), bytesOf(X), new Uint8Array(5).fill(7)] };
  const small = { path: path.join(dir, "small"), chunks: [Uint8Array.from([9, 8])] };
  assert.equal(writesOffThread(big.chunks), true);
  assert.equal(writesOffThread(small.chunks), false);
  const alone = await crc32CallsHere(() => writeFilesWithCrc32([big]));
  assert.equal(alone.calls, 0, "the worker wrote and summed it");
  const files = [small, big];
  const { result } = await crc32CallsHere(() => writeFilesWithCrc32(files));
  files.forEach((f, k) => {
    const bytes = fs.readFileSync(f.path);
    assert.ok(bytes.equals(Buffer.concat(f.chunks)), `${f.path}: its chunks in order`);
    // the worker's file went past the page cache where the file system allows it
    const direct = f === big && acceptsDirect(dir) ? { direct: true } : {};
    assert.deepEqual(result[k], { bytes: bytes.length, crc32: inlineCrc(f.chunks), ...direct });
  });
  assert.deepEqual(alone.result, [result[1]]);
  fs.rmSync(dir, { recursive: true });
});

test("a big file is written past the page cache where the file system allows it, on the worker or here, and read back either way, whatever its length", async () => {
  const dirs = [tmpDir()];
  try {
    for (const dir of dirs) {
      const direct = acceptsDirect(dir);
      // lengths (8 plain bytes, then the shared ones): not a multiple of the block, and one crossing the 8 MiB bounce buffer on a block
      for (const [extra, shared] of [[8, true], [(8 << 20) + 4096 - 8, true], [8, false]] as const) {
        // shared: on the worker; plain: on this thread (the ingest entry's plays)
        const X = shared ? shareableFloat64Array((OFF_THREAD_MIN_BYTES + extra) / 8) : new Float64Array((OFF_THREAD_MIN_BYTES + extra) / 8);
        for (let i = 0; i < X.length; i += 89) X[i] = Math.cos(i) * 1e3;
        const file = path.join(dir, `big-${extra}-${shared}`);
        assert.equal(writesOffThread([bytesOf(X)]), shared);
        const chunks = [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), bytesOf(X)];
        const [digest] = await writeFilesWithCrc32([{ path: file, chunks }]);
        const expected = Buffer.concat(chunks);
        assert.deepEqual(digest, { bytes: expected.length, crc32: zlib.crc32(expected), ...(direct ? { direct: true } : {}) }, `${dir}, +${extra}`);
        assert.ok(fs.readFileSync(file).equals(expected), `${dir}, +${extra}: the chunks in order, cut to their length`);
        for (const options of [{ direct: true }, {}]) {
          const { result: read, opened } = withFsCalls({}, () => readFileWithCrc32(file, options));
          // read directly when asked and allowed: opened once, with O_DIRECT, and never again the ordinary way
          assert.deepEqual(opened, options.direct && direct ? ["direct"] : ["plain"], `${dir}, +${extra}, ${JSON.stringify(options)}: how it was opened`);
          assert.ok(read.bytes.equals(expected), `${dir}, +${extra}, ${JSON.stringify(options)}: the same bytes`);
          assert.equal(read.crc32, zlib.crc32(expected));
          assert.equal(read.bytes.byteOffset % 8, 0, "a float64 view of them stays possible");
        }
      }
    }
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The module object src/ calls through (an import namespace here may be a copy of it). */
const fsModule = createRequire(__filename)("fs") as typeof fs;
const DIRECT = fs.constants.O_DIRECT;
const isDirect = (flags: unknown) => typeof flags === "number" && (flags & DIRECT) !== 0;

/**
 * Runs `run` with this thread's fs calls watched: `opened` lists each open ("direct" or "plain");
 * `refuse` makes O_DIRECT fail as a file system that refuses it does (EINVAL): at the open, or on a
 * direct descriptor's read or write from a byte position on.
 */
function withFsCalls<T>(refuse: { open?: boolean; readFrom?: number; writeFrom?: number }, run: () => T): { result: T; opened: string[] } {
  const { openSync, readSync, writeSync } = fsModule;
  const directFds = new Set<number>();
  const opened: string[] = [];
  const einval = () => Object.assign(new Error("EINVAL: invalid argument"), { code: "EINVAL" });
  fsModule.openSync = ((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
    if (isDirect(flags) && refuse.open) throw einval();
    const fd = openSync(file, flags ?? "r", mode);
    opened.push(isDirect(flags) ? "direct" : "plain");
    if (isDirect(flags)) directFds.add(fd);
    return fd;
  }) as typeof fs.openSync;
  const at = (args: unknown[]) => (typeof args[4] === "number" ? args[4] : -1);
  fsModule.readSync = ((fd: number, ...args: unknown[]) => {
    if (directFds.has(fd) && refuse.readFrom !== undefined && at([fd, ...args]) >= refuse.readFrom) throw einval();
    return (readSync as (...a: unknown[]) => number)(fd, ...args);
  });
  fsModule.writeSync = ((fd: number, ...args: unknown[]) => {
    if (directFds.has(fd) && refuse.writeFrom !== undefined && at([fd, ...args]) >= refuse.writeFrom) throw einval();
    return (writeSync as (...a: unknown[]) => number)(fd, ...args);
  });
  try {
    return { result: run(), opened };
  } finally {
    Object.assign(fsModule, { openSync, readSync, writeSync });
  }
}

test("where O_DIRECT is refused (at the open, or part-way through a write or a read), the ordinary calls write and read the same bytes", async () => {
  const dir = tmpDir();
  try {
    const X = new Float64Array((OFF_THREAD_MIN_BYTES + 8) / 8);
    for (let i = 0; i < X.length; i += 89) X[i] = Math.cos(i) * 1e3;
    const chunks = [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), bytesOf(X)];
    const expected = Buffer.concat(chunks);
    const file = path.join(dir, "big");
    // written on this thread (plain chunks): refused at the open, then after its first 8 MiB
    for (const refuse of [{ open: true }, { writeFrom: 8 << 20 }]) {
      fs.rmSync(file, { force: true });
      const { result } = withFsCalls(refuse, () => writeFilesWithCrc32([{ path: file, chunks }]));
      assert.deepEqual(await result, [{ bytes: expected.length, crc32: zlib.crc32(expected) }], `${JSON.stringify(refuse)}: no \`direct\``);
      assert.ok(fs.readFileSync(file).equals(expected), `${JSON.stringify(refuse)}: the chunks in order`);
    }
    // read with { direct: true }: refused at the open, then after its first 8 MiB (the rest read the ordinary way)
    for (const refuse of [{ open: true }, { readFrom: 8 << 20 }]) {
      const { result: read, opened } = withFsCalls(refuse, () => readFileWithCrc32(file, { direct: true }));
      assert.ok(read.bytes.equals(expected), `${JSON.stringify(refuse)}: the same bytes`);
      assert.equal(read.crc32, zlib.crc32(expected));
      if (refuse.readFrom !== undefined && acceptsDirect(dir)) assert.deepEqual(opened, ["direct", "plain"], "reopened the ordinary way part-way");
      else assert.deepEqual(opened, ["plain"]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a file goes to the writing worker only with a big shared chunk and small plain ones (which are copied to it)", () => {
  const bigShared = bytesOf(shareableFloat64Array(OFF_THREAD_MIN_BYTES / 8));
  const bigPlain = new Uint8Array(OFF_THREAD_MIN_BYTES);
  const smallShared = bytesOf(new Float64Array(new SharedArrayBuffer(4096)));
  assert.equal(writesOffThread([bigShared]), true);
  assert.equal(writesOffThread([bigShared, bigPlain]), false);
  assert.equal(writesOffThread([bigPlain]), false);
  assert.equal(writesOffThread([smallShared]), false);
  assert.equal(writesOffThread([]), false);
});

test("writeFilesWithCrc32 writes a small entry on this thread, with the same sums", async () => {
  const dir = tmpDir();
  const smallShared = bytesOf(new Float64Array(new SharedArrayBuffer(4096)).fill(0.5));
  const files = [{ path: path.join(dir, "a"), chunks: [new Uint8Array(1 << 16).map((_, i) => i * 31), smallShared] }, { path: path.join(dir, "empty"), chunks: [] }];
  const { calls, result } = await crc32CallsHere(() => writeFilesWithCrc32(files));
  assert.ok(calls > 0, "summed here");
  assert.deepEqual(result, [{ bytes: (1 << 16) + 4096, crc32: inlineCrc(files[0].chunks) }, { bytes: 0, crc32: 0 }]);
  assert.equal(fs.readFileSync(files[1].path).length, 0);
  fs.rmSync(dir, { recursive: true });
});

test("writeFilesWithCrc32 rejects with the system error's code when a file cannot be written, on the worker or here", async () => {
  const missing = path.join(tmpDir(), "no-such-folder", "f");
  const big = bytesOf(shareableFloat64Array(OFF_THREAD_MIN_BYTES / 8));
  await assert.rejects(writeFilesWithCrc32([{ path: missing, chunks: [big] }]), (e: NodeJS.ErrnoException) => e.code === "ENOENT");
  await assert.rejects(writeFilesWithCrc32([{ path: missing, chunks: [Uint8Array.from([1])] }]), (e: NodeJS.ErrnoException) => e.code === "ENOENT");
});

test("prefaultPages maps a shared array's pages from another thread and never changes a value, whoever writes a page first", async () => {
  const length = (OFF_THREAD_MIN_BYTES * 2) / 8;
  const X = shareableFloat64Array(length);
  // values already there (the second half, written before the thread starts) stay as they are
  for (let i = length / 2; i < length; i++) X[i] = i % 7 === 0 ? 0 : i + 0.5;
  const stop = prefaultPages(X);
  // this thread fills the first half meanwhile, with values whose low 32 bits are zero (1, 2, …) or not
  for (let i = 0; i < length / 2; i++) X[i] = i % 3 === 0 ? i : i + 0.25;
  stop();
  for (let i = 0; i < length; i++) {
    const expected = i < length / 2 ? (i % 3 === 0 ? i : i + 0.25) : i % 7 === 0 ? 0 : i + 0.5;
    if (X[i] !== expected) assert.fail(`X[${i}] = ${X[i]}, expected ${expected}`);
  }
  // on its own, the thread maps the pages of a fresh array that nobody writes
  const fresh = shareableFloat64Array(length);
  const rss0 = process.memoryUsage().rss;
  const stopFresh = prefaultPages(fresh);
  const deadline = Date.now() + 20_000;
  while (process.memoryUsage().rss - rss0 < 0.9 * fresh.byteLength && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  stopFresh();
  assert.ok(process.memoryUsage().rss - rss0 >= 0.9 * fresh.byteLength, `RSS grew by ${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB for a ${fresh.byteLength / 2 ** 20} MiB array`);
  for (let i = 0; i < fresh.length; i += 4096) assert.equal(fresh[i], 0);
  // a plain array (below OFF_THREAD_MIN_BYTES) gets no thread: nothing to stop
  const small = shareableFloat64Array(1024);
  assert.ok(!(small.buffer instanceof SharedArrayBuffer));
  prefaultPages(small)();
});

test("readFileWithCrc32 gives a file's bytes and zlib's CRC-32: big files (odd lengths, summed by the helper while read) and small ones", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "read-crc-"));
  // lengths around the chunk (8 MiB) and word sizes: not a multiple of 4, a chunk and a byte, the threshold
  for (const size of [OFF_THREAD_MIN_BYTES + (8 << 20) + 3, OFF_THREAD_MIN_BYTES, 1000]) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4093) data[i] = (i * 131) & 255;
    data[size - 1] = 77;
    const file = path.join(dir, `f${size}`);
    fs.writeFileSync(file, data);
    const read = readFileWithCrc32(file);
    assert.equal(read.bytes.length, size);
    assert.ok(read.bytes.equals(data), `${size}: the same bytes`);
    assert.equal(read.crc32, zlib.crc32(data), `${size}: the same CRC-32`);
    assert.equal(read.bytes.buffer instanceof SharedArrayBuffer, size >= OFF_THREAD_MIN_BYTES, `${size}: shared from OFF_THREAD_MIN_BYTES`);
    // one damaged byte late in the file changes the sum
    fs.writeFileSync(file, Buffer.concat([data.subarray(0, size - 1), Buffer.from([78])]));
    assert.notEqual(readFileWithCrc32(file).crc32, read.crc32);
  }
  assert.throws(() => readFileWithCrc32(path.join(dir, "absent")), /ENOENT/);
  // a big file's sum comes from the helper: this thread computes none
  const file = path.join(dir, "big");
  fs.writeFileSync(file, Buffer.alloc(OFF_THREAD_MIN_BYTES + 5, 3));
  const { calls, result } = await crc32CallsHere(() => readFileWithCrc32(file).crc32);
  assert.equal(calls, 0);
  assert.equal(result, zlib.crc32(fs.readFileSync(file)));
  fs.rmSync(dir, { recursive: true, force: true });
});
