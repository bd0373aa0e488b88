/** Small typed-array helpers for hot paths. */

/**
 * out[k] = from[rows[k]] for every k: a column's rows in a new order, or a subset of them;
 * returns `out`. A plain loop: `Float64Array.from(rows, (i) => from[i])` calls its mapping
 * function through the iterator protocol and is ~20× slower in V8 (the evaluation's 14 gathers
 * of 196k test rows at 1M plays took ~0.5 s that way).
 */
export function gatherRows<T extends Float64Array | Int32Array | Int8Array>(out: T, from: ArrayLike<number>, rows: ArrayLike<number>): T {
  for (let k = 0; k < rows.length; k++) out[k] = from[rows[k]];
  return out;
}

/** [rows.length] values[rows[k]], a new Float64Array (`gatherRows`). */
export function valuesAt(values: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  return gatherRows(new Float64Array(rows.length), values, rows);
}
