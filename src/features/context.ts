/**
 * Categorical context one-hots with vocabularies fitted on TRAIN rows.
 *
 * Vocabularies are sorted (stable column order whatever the input order) and always
 * end with `__unknown__`, which takes nulls and values never seen in training. With
 * `topK`, only the K most frequent train values get columns and other non-null values
 * go to `other`.
 */
import type { DictColumn, PlayTable, TriBool } from "../ingest/types";

export const UNKNOWN = "__unknown__";
export const OTHER = "other";

export interface Vocabulary {
  /** Column prefix, e.g. "platform". */
  prefix: string;
  /** Kept values, sorted. */
  values: string[];
  /** Whether an `other` bucket exists (top-k vocabularies). */
  hasOther: boolean;
}

export interface ContextSpec {
  prefix: string;
  column: (plays: PlayTable) => DictColumn;
  topK?: number;
}

/** A TriBool as a dictionary column with values ["false", "true"]. */
export function triBoolColumn(t: TriBool): DictColumn {
  const codes = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) codes[i] = t[i] < 0 ? -1 : t[i];
  return { codes, values: ["false", "true"] };
}

export const CONTEXT_SPECS: ContextSpec[] = [
  { prefix: "platform", column: (p) => p.platformFamily },
  { prefix: "conn_country", column: (p) => p.connCountry, topK: 10 },
  { prefix: "reason_start", column: (p) => p.reasonStart },
  { prefix: "shuffle", column: (p) => triBoolColumn(p.shuffle) },
  { prefix: "offline", column: (p) => triBoolColumn(p.offline) },
];

/** Column names of a vocabulary: values, then `other` (top-k only), then `__unknown__`. */
export function vocabularyColumns(v: Vocabulary): string[] {
  const names = v.values.map((x) => `${v.prefix}=${x}`);
  if (v.hasOther) names.push(`${v.prefix}=${OTHER}`);
  names.push(`${v.prefix}=${UNKNOWN}`);
  return names;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Learns a vocabulary from rows with `role[i] === 0`. */
export function fitVocabulary(col: DictColumn, role: Uint8Array, prefix: string, topK?: number): Vocabulary {
  const counts = new Float64Array(col.values.length);
  for (let i = 0; i < col.codes.length; i++) {
    if (role[i] === 0 && col.codes[i] >= 0) counts[col.codes[i]]++;
  }
  const byValue = new Map<string, number>();
  col.values.forEach((v, c) => {
    if (counts[c] > 0 && v !== UNKNOWN && v !== OTHER) byValue.set(v, (byValue.get(v) ?? 0) + counts[c]);
  });
  let values = Array.from(byValue.keys());
  let hasOther = false;
  if (topK !== undefined) {
    values.sort((a, b) => (byValue.get(b) as number) - (byValue.get(a) as number) || byString(a, b));
    values = values.slice(0, topK);
    hasOther = true;
  }
  values.sort(byString);
  return { prefix, values, hasOther };
}

/** For each dictionary code of `col`: its slot in `vocabularyColumns(v)`. Nulls use `unknownSlot(v)`. */
export function slotsByCode(col: DictColumn, v: Vocabulary): Int32Array {
  const index = new Map(v.values.map((x, k) => [x, k] as [string, number]));
  const unknown = unknownSlot(v);
  const out = new Int32Array(col.values.length);
  col.values.forEach((x, c) => {
    const k = index.get(x);
    out[c] = k !== undefined ? k : v.hasOther ? v.values.length : unknown;
  });
  return out;
}

export function unknownSlot(v: Vocabulary): number {
  return v.values.length + (v.hasOther ? 1 : 0);
}

export function vocabularyWidth(v: Vocabulary): number {
  return v.values.length + (v.hasOther ? 1 : 0) + 1;
}
