/** Row-table typing shared by the CSV, Markdown and HTML table writers. */

/** The column names of a row type: its string keys (typed column lists for `writeCsv`, `mdTable`, `htmlTable`). */
export type ColumnOf<T> = Extract<keyof T, string>;

/**
 * A field of a row read by a name known only at run time (a CSV header, a `p_<model>`
 * column): the one place a row is viewed as a string-keyed record.
 */
export function field(row: object, key: string): unknown {
  return (row as Record<string, unknown>)[key];
}

/**
 * Text of a table cell: "" for null/undefined, `String` of a primitive, ISO for a Date, JSON
 * for anything else (never "[object Object]").
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return isNaN(value.getTime()) ? "" : value.toISOString();
  if (typeof value === "symbol") return value.toString();
  return JSON.stringify(value) ?? "";
}
