/** Small file-writing helpers: every report artefact is written atomically. */
import * as fs from "fs";
import * as path from "path";

/** Create a directory (and its parents) if it does not exist. */
export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
}

let counter = 0;

/**
 * Write `data` to `file` via a temporary file in the same directory followed by a rename,
 * so readers never see a half-written file. Creates the parent directory.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  ensureDir(dir);
  counter += 1;
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
