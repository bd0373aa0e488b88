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
