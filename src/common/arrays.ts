/** Small typed-array helpers for hot paths. */

/**
 * [rows.length] values[rows[k]], a new Float64Array. A plain loop: `Float64Array.from(rows,
 * (i) => values[i])` calls its mapping function through the iterator protocol and is ~20× slower
 * in V8 (the evaluation's 14 gathers of 196k test rows at 1M plays took ~0.5 s that way).
 */
export function valuesAt(values: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]];
  return out;
}
