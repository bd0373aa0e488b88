/**
 * HTML snippets for notebook display (tslab's `display.html`). Every cell is escaped:
 * track and artist names come from the user's export and may hold markup.
 */
import type { ColumnOf } from "./rows";
import { escapeHtml } from "./html";

function cell(value: unknown, digits: number, fractional: boolean): string {
  if (typeof value === "number") return Number.isInteger(value) && !fractional ? String(value) : value.toFixed(digits);
  return escapeHtml(value);
}

/** An HTML table of row objects; `columns` are keys of the row type (default: the first row's keys). */
export function htmlTable<T extends object>(rows: readonly T[], options: { columns?: readonly ColumnOf<T>[]; digits?: number; caption?: string } = {}): string {
  const columns = options.columns ?? (Object.keys(rows[0] ?? {}) as ColumnOf<T>[]);
  const digits = options.digits ?? 3;
  // A column holding any fraction shows all its numbers with `digits` (an AUC of 1 reads 1.000, not 1).
  const fractional = new Set(columns.filter((c) => rows.some((r) => typeof r[c] === "number" && !Number.isInteger(r[c]))));
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${cell(r[c], digits, fractional.has(c))}</td>`).join("")}</tr>`).join("\n");
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** An HTML table of a DataFrame-like value (danfojs: `df.columns`, `df.values`). */
export function frameTable(frame: { columns: string[]; values: unknown[] | unknown[][] }, options: { digits?: number; caption?: string; limit?: number } = {}): string {
  const values = (frame.values as unknown[][]).slice(0, options.limit ?? 50);
  const rows = values.map((v) => Object.fromEntries(frame.columns.map((c, j) => [c, Array.isArray(v) ? v[j] : v])));
  return htmlTable(rows, { columns: frame.columns, digits: options.digits, caption: options.caption });
}
