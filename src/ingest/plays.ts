/**
 * Growable columnar storage for plays, and the final sort into a PlayTable.
 * Rows are appended in input order; `finish()` orders them by start time and
 * renumbers dictionaries so they hold only values of kept rows, in first-seen order.
 */
import { gatherRows } from "../common/arrays";
import { sharedArray } from "../common/bigBuffers";
import type { DictColumn, PlayTable } from "./types";
import { platformFamily } from "./platform";

/** String → dense integer code. The one-entry cache pays off on low-cardinality columns (platform, country, reasons). */
export class Interner {
  private readonly map = new Map<string, number>();
  readonly values: string[] = [];
  private last: string | null = null;
  private lastCode = -1;

  code(s: string | null | undefined): number {
    if (s == null) return -1;
    if (s === this.last) return this.lastCode;
    let c = this.map.get(s);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(s);
      this.map.set(s, c);
    }
    this.last = s;
    this.lastCode = c;
    return c;
  }
}

export const DICT_COLUMNS = ["trackUri", "trackName", "artistName", "albumName", "platformRaw", "connCountry", "reasonStart", "reasonEnd"] as const;
export type DictName = (typeof DICT_COLUMNS)[number];
export const TRI_COLUMNS = ["shuffle", "offline", "incognito", "skipped"] as const;
export type TriName = (typeof TRI_COLUMNS)[number];

function grownF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}
function grownI32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
function grownI8(a: Int8Array, cap: number): Int8Array {
  const b = new Int8Array(cap);
  b.set(a);
  return b;
}

export class PlayBuilder {
  length = 0;
  private cap: number;
  readonly ts: string[] = [];
  endMs: Float64Array;
  msPlayed: Float64Array;
  readonly codes: Record<DictName, Int32Array>;
  readonly tri: Record<TriName, Int8Array>;
  readonly dict: Record<DictName, Interner>;

  constructor(capacity = 1 << 14) {
    this.cap = capacity;
    this.endMs = new Float64Array(capacity);
    this.msPlayed = new Float64Array(capacity);
    this.codes = {} as Record<DictName, Int32Array>;
    this.dict = {} as Record<DictName, Interner>;
    for (const k of DICT_COLUMNS) {
      this.codes[k] = new Int32Array(capacity);
      this.dict[k] = new Interner();
    }
    this.tri = {} as Record<TriName, Int8Array>;
    for (const k of TRI_COLUMNS) this.tri[k] = new Int8Array(capacity);
  }

  /** Index of a new row; the caller fills every column at that index. */
  addRow(): number {
    if (this.length === this.cap) {
      // Doubling keeps appends amortised O(1); the final slice trims the slack.
      const cap = this.cap * 2;
      this.endMs = grownF64(this.endMs, cap);
      this.msPlayed = grownF64(this.msPlayed, cap);
      for (const k of DICT_COLUMNS) this.codes[k] = grownI32(this.codes[k], cap);
      for (const k of TRI_COLUMNS) this.tri[k] = grownI8(this.tri[k], cap);
      this.cap = cap;
    }
    return this.length++;
  }

  finish(): PlayTable {
    const n = this.length;
    const end = this.endMs;
    const ms = this.msPlayed;
    const start = new Float64Array(n);
    for (let i = 0; i < n; i++) start[i] = end[i] - ms[i];
    const order = sortOrder(start, end, n);

    // The table's columns are shared: posted to a worker (plays.parquet), they are not copied.
    const startMs = sharedArray(Float64Array, n);
    const endMs = sharedArray(Float64Array, n);
    const msPlayed = sharedArray(Float64Array, n);
    const ts: string[] = new Array<string>(n);
    for (let j = 0; j < n; j++) {
      const i = order[j];
      startMs[j] = start[i];
      endMs[j] = end[i];
      msPlayed[j] = ms[i];
      ts[j] = this.ts[i];
    }
    const dicts = {} as Record<DictName, DictColumn>;
    for (const k of DICT_COLUMNS) dicts[k] = permuteDict(this.codes[k], this.dict[k].values, order);
    const tris = {} as Record<TriName, Int8Array>;
    for (const k of TRI_COLUMNS) tris[k] = gatherRows(sharedArray(Int8Array, n), this.tri[k], order);
    return {
      length: n,
      ts,
      startMs,
      endMs,
      msPlayed,
      trackUri: dicts.trackUri,
      trackName: dicts.trackName,
      artistName: dicts.artistName,
      albumName: dicts.albumName,
      platformRaw: dicts.platformRaw,
      platformFamily: familyColumn(dicts.platformRaw),
      connCountry: dicts.connCountry,
      reasonStart: dicts.reasonStart,
      reasonEnd: dicts.reasonEnd,
      shuffle: tris.shuffle,
      offline: tris.offline,
      incognito: tris.incognito,
      skipped: tris.skipped,
      completed: completedColumn(dicts.reasonEnd),
    };
  }
}

/** Row order by start, then end, then input index. Exports are nearly sorted, so check first. */
function sortOrder(start: Float64Array, end: Float64Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && (start[i] < start[i - 1] || (start[i] === start[i - 1] && end[i] < end[i - 1]))) sorted = false;
  }
  if (!sorted) order.sort((a, b) => start[a] - start[b] || end[a] - end[b] || a - b);
  return order;
}

/** Reorders codes and renumbers values by first appearance in the new order, dropping unused values. */
export function permuteDict(codes: Int32Array, values: string[], order: Uint32Array): DictColumn {
  const n = order.length;
  const remap = new Int32Array(values.length).fill(-1);
  const out = sharedArray(Int32Array, n);
  const kept: string[] = [];
  for (let j = 0; j < n; j++) {
    const c = codes[order[j]];
    if (c < 0) {
      out[j] = -1;
      continue;
    }
    let r = remap[c];
    if (r < 0) {
      r = kept.length;
      remap[c] = r;
      kept.push(values[c]);
    }
    out[j] = r;
  }
  return { codes: out, values: kept };
}

function familyColumn(raw: DictColumn): DictColumn {
  const values: string[] = [];
  const byFamily = new Map<string, number>();
  const fromRaw = new Int32Array(raw.values.length);
  const familyCode = (f: string): number => {
    let c = byFamily.get(f);
    if (c === undefined) {
      c = values.length;
      values.push(f);
      byFamily.set(f, c);
    }
    return c;
  };
  // Raw codes are already in first-seen order, so families come out first-seen too,
  // except "unknown" for null rows, which takes its place at the first null row.
  const codes = sharedArray(Int32Array, raw.codes.length);
  const mapped = new Uint8Array(raw.values.length);
  for (let j = 0; j < codes.length; j++) {
    const c = raw.codes[j];
    if (c < 0) {
      codes[j] = familyCode("unknown");
    } else {
      if (!mapped[c]) {
        fromRaw[c] = familyCode(platformFamily(raw.values[c]));
        mapped[c] = 1;
      }
      codes[j] = fromRaw[c];
    }
  }
  return { codes, values };
}

/** The label rule: reason_end "trackdone" → 1; null, "" or "unknown" → -1; any other reason → 0. */
export function labelOf(reasonEnd: string | null): 1 | 0 | -1 {
  if (reasonEnd == null) return -1;
  const r = reasonEnd.trim().toLowerCase();
  if (r === "trackdone") return 1;
  if (r === "" || r === "unknown") return -1;
  return 0;
}

function completedColumn(reasonEnd: DictColumn): Int8Array {
  const byCode = reasonEnd.values.map(labelOf);
  const out = sharedArray(Int8Array, reasonEnd.codes.length);
  for (let j = 0; j < out.length; j++) {
    const c = reasonEnd.codes[j];
    out[j] = c < 0 ? -1 : byCode[c];
  }
  return out;
}
