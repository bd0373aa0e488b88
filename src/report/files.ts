/**
 * Small file-writing helpers: every report artefact is written atomically, and a failed
 * write (disk full, permission changed mid-run) becomes a one-paragraph UserInputError
 * naming the file and the system error, not a stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { writeChunksSync } from "../common/bigBuffers";
import type { FileDigest } from "../common/bigBuffers";
import { UserInputError } from "../common/errors";

export type { FileDigest } from "../common/bigBuffers";

/** A system error (`code` set, e.g. ENOSPC, EACCES, EROFS) while writing `file`, as a message the CLI prints. */
export function writeFailure(file: string, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || typeof e.code !== "string") return error instanceof Error ? error : new Error(String(error));
  const hint =
    e.code === "ENOSPC" || e.code === "EDQUOT"
      ? "The disk is full: free some space"
      : e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS"
        ? "The folder is not writable: fix its permissions or choose another output folder"
        : "Check the folder and the disk";
  return new UserInputError(`Could not write "${file}": ${e.message.replace(/\s+/g, " ")}. ${hint}, then run again.`, file);
}

/** Create a directory (and its parents) if it does not exist. */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw writeFailure(dir, error);
  }
}

let counter = 0;

/**
 * Write `data` to `file` via a temporary file in the same directory followed by a rename,
 * so readers never see a half-written file. Creates the parent directory. `data` may come as
 * chunks (strings are written as UTF-8), written in order as they are produced.
 * @returns the file's length and CRC-32, taken while writing (no re-read)
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | Iterable<string | Uint8Array>): FileDigest {
  const dir = path.dirname(path.resolve(file));
  ensureDir(dir);
  counter += 1;
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter}.tmp`);
  try {
    const digest = writeChunksSync(tmp, typeof data === "string" || data instanceof Uint8Array ? [data] : data);
    fs.renameSync(tmp, file);
    return digest;
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw writeFailure(file, error);
  }
}
