/** Markdown helpers: escaping user text (track/artist names) and building GFM tables. */
import { cellText } from "./rows";
import type { ColumnOf } from "./rows";

/**
 * Escape text so it renders literally inside a Markdown paragraph or a GFM table cell:
 * backslash-escapes `\ | ` * _ [ ] ~ #`, turns `&`, `<`, `>` into HTML entities (no raw
 * HTML can get through) and folds line breaks into spaces (a newline would end a table row).
 */
export function mdEscape(text: unknown): string {
  return cellText(text)
    .replace(/[\\|`*_[\]~#]/g, (c) => "\\" + c)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, " ");
}

/** A column of rows of type `T`: one of its keys, with an optional header, alignment and formatter. */
export interface MdColumn<T = Record<string, unknown>> {
  key: ColumnOf<T>;
  header?: string;
  align?: "left" | "right" | "center";
  /** Cell formatter; the result is escaped. Default: `formatMdValue`. */
  format?: (value: unknown) => string;
}

/** Default cell text: empty for null/undefined/non-finite, up to 4 decimals for fractions. */
export function formatMdValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "";
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
  }
  return cellText(value);
}

/** A GFM table. Columns are keys of the row type (or column descriptors); every cell is escaped. */
export function mdTable<T extends object>(columns: readonly (ColumnOf<T> | MdColumn<T>)[], rows: readonly T[]): string {
  const cols: MdColumn<T>[] = columns.map((c) => (typeof c === "string" ? { key: c } : c));
  if (cols.length === 0) return "";
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const header = line(cols.map((c) => mdEscape(c.header ?? c.key)));
  const rule = line(
    cols.map((c) => (c.align === "right" ? "---:" : c.align === "center" ? ":---:" : "---")),
  );
  const body = rows.map((row) =>
    line(cols.map((c) => mdEscape((c.format ?? formatMdValue)(row[c.key])))),
  );
  return [header, rule, ...body].join("\n") + "\n";
}
