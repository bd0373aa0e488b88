/**
 * Reading one Extended Streaming History file into an ExtendedChunk away from the
 * ingestion loop: in a worker thread (./parseWorker) or ahead of time on the main
 * thread (./parallel). Anything unusual (unreadable, not JSON, not an extended-history
 * array) gives null: the ingestion loop then reads the file itself, so every message,
 * warning and error comes from the one sequential code path.
 */
import { inflateEntry, readFileShared, type ZipEntryRef } from "./sources";
import { parseJsonBytes, type JsonParseResult } from "./json";
import { resolveRole, roleFromContent, roleFromName, type Role } from "./classify";
import { parseChunk, type ExtendedChunk } from "./extended";
import { scanExtendedArray } from "./scan";
import type { PackageName } from "./types";

/** An extended-history file parsed outside the ingestion loop. */
export interface PreParsed {
  role: Extract<Role, { role: "extended" }>;
  replacedInvalid: boolean;
  chunk: ExtendedChunk;
}

export interface PreParseTask {
  id: number;
  /** A plain file, or … */
  path?: string;
  /** … a zip entry (the archive shared with the worker, not copied). */
  zip?: ZipEntryRef;
  base: string;
  hint: PackageName | null;
}

export function preParse(task: PreParseTask): PreParsed | null {
  try {
    const bytes = task.path !== undefined ? readFileShared(task.path) : task.zip ? inflateEntry(task.zip) : null;
    if (!bytes) return null;
    const read = preParseBytes(bytes, task.base, roleFromName(task.base, task.hint));
    return "pre" in read ? read.pre : null;
  } catch {
    return null;
  }
}

/** A file's bytes as JSON, and whether invalid UTF-8 was replaced to read them. */
export type ParsedBytes = JsonParseResult & { replacedInvalid: boolean };

/**
 * The bytes of a file that may hold extended history (`nameRole`: what its name says, `roleFromName`): its chunk when it does (scanned from the
 * bytes when `scanExtendedArray` accepts them, else parsed and coded), or else the parsed JSON,
 * for the caller to classify or report, so no file is parsed twice.
 */
export function preParseBytes(bytes: Uint8Array, base: string, nameRole: Role | null): { pre: PreParsed } | { parsed: ParsedBytes } {
  const scanned = scanExtendedArray(bytes);
  if (scanned) {
    const role = resolveRole(nameRole, roleFromContent([scanned.first], base));
    if (role.role === "extended") return { pre: { role, replacedInvalid: false, chunk: scanned.chunk } };
  }
  const parsed = parseJsonBytes(bytes);
  if (!parsed.ok) return { parsed };
  const value = parsed.value;
  const role = resolveRole(nameRole, roleFromContent(value, base));
  if (role.role !== "extended" || !Array.isArray(value)) return { parsed };
  return { pre: { role, replacedInvalid: parsed.replacedInvalid, chunk: parseChunk(value) } };
}

/** The buffers of a chunk, to transfer rather than copy. */
export function chunkBuffers(c: ExtendedChunk): ArrayBuffer[] {
  return [c.endMs.buffer, c.msPlayed.buffer, c.offTs.buffer, c.flags.buffer, c.codes.buffer, c.tsEnd.buffer] as ArrayBuffer[];
}
