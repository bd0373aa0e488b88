/**
 * Reading one Extended Streaming History file into an ExtendedChunk away from the
 * ingestion loop: in a worker thread (./parseWorker) or ahead of time on the main
 * thread (./parallel). Anything unusual (unreadable, not JSON, not an extended-history
 * array) gives null: the ingestion loop then reads the file itself, so every message,
 * warning and error comes from the one sequential code path.
 */
import { inflateEntry, readFileShared, type ZipEntryRef } from "./sources";
import { parseJsonBytes } from "./json";
import { resolveRole, roleFromContent, roleFromName, type Role } from "./classify";
import { parseChunk, type ExtendedChunk } from "./extended";
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
    const parsed = parseJsonBytes(bytes);
    if (!parsed.ok) return null;
    const value = parsed.value;
    const role = resolveRole(roleFromName(task.base, task.hint), roleFromContent(value, task.base));
    if (role.role !== "extended" || !Array.isArray(value)) return null;
    return { role, replacedInvalid: parsed.replacedInvalid, chunk: parseChunk(value) };
  } catch {
    return null;
  }
}

/** The buffers of a chunk, to transfer rather than copy. */
export function chunkBuffers(c: ExtendedChunk): ArrayBuffer[] {
  return [c.endMs.buffer, c.msPlayed.buffer, c.offTs.buffer, c.flags.buffer, c.codes.buffer, c.tsEnd.buffer] as ArrayBuffer[];
}
