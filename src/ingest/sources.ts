/**
 * Finding the files of an export: folders (walked a few levels deep) and zips
 * (read entry by entry so a large archive is never fully inflated at once).
 */
import * as fs from "fs";
import * as path from "path";
import { unzipSync } from "fflate";
import { UserInputError } from "../common/errors";
import type { PackageName } from "./types";

export interface SourceFile {
  /** Path shown in the report: relative to the folder given, or inside the zip. */
  rel: string;
  /** File name without folders. */
  base: string;
  /** Package suggested by the folder names around the file (content decides in the end). */
  hint: PackageName | null;
  /** Where the file lives, for error messages: the folder or zip the user gave. */
  root: string;
  /** Absolute path of a plain file (not a zip entry): lets another thread read it. */
  path?: string;
  /** A zip entry: the archive's bytes and the entry's name, which let another thread inflate it (`inflateEntry`). */
  zip?: ZipEntryRef;
  /** Size in bytes (uncompressed for a zip entry), known without reading the file. */
  size?: number;
  /** The file's bytes. May be a view of a shared buffer: valid only until the next read(). */
  read(): Uint8Array;
}

/**
 * A zip entry another thread can read: `data` is the whole archive on a SharedArrayBuffer, so
 * posting it to a worker shares it rather than copying it.
 */
export interface ZipEntryRef {
  data: Uint8Array;
  entry: string;
}

/** The entry's inflated bytes; throws when it is missing or cannot be unpacked. */
export function inflateEntry(ref: ZipEntryRef): Uint8Array {
  const bytes = unzipSync(ref.data, { filter: (f) => f.name === ref.entry })[ref.entry];
  if (!bytes) throw new Error(`no entry ${ref.entry}`);
  return bytes;
}

/** A file's bytes on a SharedArrayBuffer (see `ZipEntryRef`). */
function readShared(file: string): Uint8Array {
  const fd = fs.openSync(file, "r");
  try {
    const data = new Uint8Array(new SharedArrayBuffer(fs.fstatSync(fd).size));
    let off = 0;
    while (off < data.length) {
      const n = fs.readSync(fd, data, off, data.length - off, off);
      if (n <= 0) break;
      off += n;
    }
    return off === data.length ? data : data.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

let scratch = Buffer.allocUnsafe(1 << 24);

/**
 * Reads a file into one reused buffer: export files are up to ~12 MB and read one at a
 * time, so reusing the buffer avoids a fresh allocation (and its page faults and GC) per file.
 */
export function readFileShared(file: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    throw new UserInputError(`Cannot read the file "${file}": check that it exists and that you may read it.`, file);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.ceil(size * 1.25));
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, scratch, off, size - off, off);
      if (n <= 0) break;
      off += n;
    }
    return scratch.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

function sizeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}

/** Deep enough for `export/my_spotify_data/Spotify Extended Streaming History/x.json` plus one spare level. */
const MAX_DEPTH = 4;

export function packageHint(relPath: string): PackageName | null {
  const p = relPath.toLowerCase();
  if (/extended|endsong/.test(p)) return "extended";
  if (/technical|tech[ _-]?log/.test(p)) return "tech";
  if (/account/.test(p)) return "account";
  return null;
}

function isIgnoredName(name: string): boolean {
  // macOS resource forks and hidden files come along in zips made on a Mac.
  return name.startsWith(".") || name === "__MACOSX" || name === "Thumbs.db" || name === "desktop.ini";
}

/** All files under `dir`; zips found inside are opened as well. */
export function listFolder(dir: string, forced: PackageName | null): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (abs: string, rel: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      throw new UserInputError(`Cannot read the folder "${abs}": check that it exists and that you may read it.`, abs);
    }
    for (const e of entries) {
      if (isIgnoredName(e.name)) continue;
      const childAbs = path.join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH) walk(childAbs, childRel, depth + 1);
      } else if (e.isFile()) {
        if (/\.zip$/i.test(e.name)) {
          for (const z of listZip(childAbs, childRel, forced)) out.push(z);
        } else {
          out.push({
            rel: childRel,
            base: e.name,
            hint: forced ?? packageHint(childRel),
            root: dir,
            path: childAbs,
            size: sizeOf(childAbs),
            read: () => readFileShared(childAbs),
          });
        }
      }
    }
  };
  walk(dir, "", 0);
  return out;
}

function looksLikeZip(bytes: Uint8Array): boolean {
  // Local file header PK\3\4, or the end-of-central-directory record of an empty zip PK\5\6.
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * Entries of a zip. The archive bytes stay in memory (compressed: ~10x smaller than
 * the JSON), and each entry is inflated only when read, then released by the caller.
 */
export function listZip(zipPath: string, relPrefix: string | null, forced: PackageName | null): SourceFile[] {
  let data: Uint8Array;
  try {
    data = readShared(zipPath);
  } catch {
    throw new UserInputError(`Cannot read the file "${zipPath}": check that it exists and that you may read it.`, zipPath);
  }
  if (!looksLikeZip(data)) {
    throw new UserInputError(
      `"${zipPath}" is not a zip archive (it does not start with a zip signature). Give the zip exactly as downloaded from Spotify, or the folder you unzipped it into.`,
      zipPath,
    );
  }
  const names: string[] = [];
  const sizes = new Map<string, number>();
  try {
    unzipSync(data, {
      filter: (f) => {
        if (!f.name.endsWith("/")) {
          names.push(f.name);
          sizes.set(f.name, f.originalSize);
        }
        return false;
      },
    });
  } catch {
    throw new UserInputError(`"${zipPath}" is a damaged zip archive: its table of contents cannot be read. Download it again from Spotify.`, zipPath);
  }
  const out: SourceFile[] = [];
  for (const name of names) {
    const parts = name.split("/");
    const base = parts[parts.length - 1];
    if (parts.some(isIgnoredName) || parts.length > MAX_DEPTH + 1) continue;
    const rel = relPrefix ? `${relPrefix}/${name}` : name;
    out.push({
      rel,
      base,
      hint: forced ?? packageHint(rel),
      root: zipPath,
      size: sizes.get(name),
      zip: { data, entry: name },
      read: () => {
        try {
          return inflateEntry({ data, entry: name });
        } catch {
          throw new UserInputError(`The entry "${name}" in the zip "${zipPath}" cannot be unpacked (damaged or unsupported compression). Download the zip again, or unzip it with another tool and give the folder.`, zipPath);
        }
      },
    });
  }
  return out;
}

/** Sort key that puts `x (1).json` right after `x.json` and `_10` after `_9`. */
export function compareSourceOrder(a: SourceFile, b: SourceFile): number {
  const strip = (s: string): [string, number] => {
    const m = /^(.*?) \((\d+)\)(\.[^./]*)?$/.exec(s);
    return m ? [m[1] + (m[3] ?? ""), Number(m[2])] : [s, 0];
  };
  const [ka, na] = strip(a.rel);
  const [kb, nb] = strip(b.rel);
  const c = ka.localeCompare(kb, "en", { numeric: true });
  return c !== 0 ? c : na - nb;
}
