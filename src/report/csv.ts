/**
 * CSV writing/reading with spreadsheet formula-injection neutralisation (OWASP "CSV Injection").
 *
 * Writing: a STRING cell is prefixed with one `'` when it matches /^'*[=+\-@\t\r]/, i.e. when it
 * starts with a formula trigger (`=`, `+`, `-`, `@`, tab, CR) possibly behind leading quotes.
 * Numbers are written as numbers (-0.5 stays -0.5), null/undefined/NaN as an empty cell.
 *
 * Reading: one leading `'` is stripped from a cell matching /^'+[=+\-@\t\r]/. Because a prefix is
 * added exactly when the original matches /^'*[trigger]/ (so the written cell always matches
 * /^'+[trigger]/) and never otherwise, the round trip is exact for every string — including
 * strings that genuinely start with `'=`, which are written as `''=`.
 */
import * as fs from "fs";
import Papa from "papaparse";
import { writeFileAtomic } from "./files";

export type CsvValue = string | number | boolean | null | undefined;
export type CsvRow = Record<string, CsvValue>;

const NEEDS_PREFIX = /^'*[=+\-@\t\r]/;
const WAS_PREFIXED = /^'+[=+\-@\t\r]/;

/** Neutralise a string cell for spreadsheets (see module comment). */
export function neutraliseCell(text: string): string {
  return NEEDS_PREFIX.test(text) ? "'" + text : text;
}

/** Inverse of `neutraliseCell`. */
export function restoreCell(text: string): string {
  return WAS_PREFIXED.test(text) ? text.slice(1) : text;
}

function cellText(value: CsvValue): string | number | boolean {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? value : "";
  if (typeof value === "boolean") return value;
  return neutraliseCell(value);
}

/** CSV text (header + rows, `\n` line ends, trailing newline) for the given columns. */
export function toCsv(rows: readonly CsvRow[], columns: readonly string[]): string {
  const data = rows.map((row) => columns.map((c) => cellText(row[c])));
  const fields = columns.map(neutraliseCell);
  const config = { newline: "\n", quotes: false, escapeFormulae: false };
  // unparse({fields, data: []}) appends a stray newline: write the header alone then.
  const text = data.length === 0 ? Papa.unparse([fields], config) : Papa.unparse({ fields, data }, config);
  return text + "\n";
}

/** Write rows as CSV atomically. */
export function writeCsv(file: string, rows: readonly CsvRow[], columns: readonly string[]): void {
  writeFileAtomic(file, toCsv(rows, columns));
}

/** A decimal number as written by `String(number)` or `toFixed` (not "007", "1e", "NaN", "+1"). */
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$|^-?\.\d+$/;

export interface ParseCsvOptions {
  /**
   * true (default): empty cell → null; an un-neutralised cell that looks like a decimal number
   * → number. false: every cell is returned as the exact string written (empty → "").
   */
  typed?: boolean;
}

export interface ParsedCsv {
  columns: string[];
  rows: Record<string, string | number | null>[];
}

/** Parse CSV text written by `toCsv` (or any RFC 4180 CSV with a header row). */
export function parseCsv(text: string, options: ParseCsvOptions = {}): ParsedCsv {
  const typed = options.typed ?? true;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const result = Papa.parse<string[]>(body, {
    header: false,
    delimiter: ",",
    skipEmptyLines: false,
    dynamicTyping: false,
  });
  const grid = result.data;
  // papaparse yields one [""] row for the final line end: drop exactly that one.
  const last = grid[grid.length - 1];
  if (/[\r\n]$/.test(body) && last && last.length === 1 && last[0] === "") grid.pop();
  const quoteErrors = result.errors.filter((e) => e.type === "Quotes");
  if (quoteErrors.length > 0) throw new Error(`CSV parse error: ${quoteErrors[0].message} (row ${quoteErrors[0].row})`);
  if (grid.length === 0) return { columns: [], rows: [] };
  const columns = grid[0].map(restoreCell);
  const rows = grid.slice(1).map((cells) => {
    const row: Record<string, string | number | null> = {};
    columns.forEach((c, j) => {
      const raw = cells[j] ?? "";
      if (!typed) row[c] = restoreCell(raw);
      else if (raw === "") row[c] = null;
      else if (WAS_PREFIXED.test(raw)) row[c] = raw.slice(1);
      else row[c] = NUMBER.test(raw) ? Number(raw) : raw;
    });
    return row;
  });
  return { columns, rows };
}

/** Read a CSV file: header and rows (see `parseCsv`). */
export function readCsvTable(file: string, options: ParseCsvOptions = {}): ParsedCsv {
  return parseCsv(fs.readFileSync(file, "utf8"), options);
}

/** Read a CSV file's rows (see `parseCsv`). */
export function readCsv(file: string, options: ParseCsvOptions = {}): ParsedCsv["rows"] {
  return readCsvTable(file, options).rows;
}
