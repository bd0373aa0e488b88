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
import type { FileDigest } from "./files";
import { cellText } from "./rows";
import type { ColumnOf } from "./rows";

export type { ColumnOf } from "./rows";

export type CsvValue = string | number | boolean | null | undefined;
export type CsvRow = Record<string, CsvValue>;

/** A row whose `K` columns hold CSV cells (any other fields are ignored). */
export type CsvRowOf<K extends string> = { readonly [P in K]?: CsvValue };

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

/**
 * One cell exactly as papaparse's `unparse` writes it with `quotes: false`: `String(value)`,
 * quoted (inner quotes doubled) when it holds `"`, `,`, CR, LF or a BOM, or starts or ends
 * with a space.
 */
function quoteCell(text: string): string {
  if (!NEEDS_QUOTES.test(text) && text.charCodeAt(0) !== 32 && text.charCodeAt(text.length - 1) !== 32) return text;
  return '"' + text.replace(/"/g, '""') + '"';
}
const NEEDS_QUOTES = /[",\r\n\ufeff]/;

/** A string cell: neutralised and quoted when needed (a first-character test spares the regexes on most cells). */
function stringCell(text: string): string {
  const c0 = text.charCodeAt(0);
  // ' = + - @ tab CR (formula triggers, possibly behind quotes) and a leading space take the full path.
  if (c0 === 39 || c0 === 61 || c0 === 43 || c0 === 45 || c0 === 64 || c0 === 9 || c0 === 13 || c0 === 32) return quoteCell(neutraliseCell(text));
  return text.charCodeAt(text.length - 1) === 32 || NEEDS_QUOTES.test(text) ? quoteCell(text) : text;
}

/** One cell as papaparse serialised it: empty for null/undefined/non-finite, strings neutralised. */
function cellCsv(value: unknown): string {
  if (typeof value === "string") return stringCell(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  // Not a CsvValue (a caller outside the type checker, e.g. a notebook).
  return quoteCell(neutraliseCell(cellText(value)));
}

/** Rows per chunk of `csvChunks`: a few hundred kB of text. */
const CHUNK_ROWS = 4096;

/**
 * CSV text (header + rows, `\n` line ends, trailing newline) for the given columns, as chunks
 * of a few thousand rows made on demand: a writer holds one chunk at a time, not the file. Byte
 * for byte what `Papa.unparse` wrote before (see `quoteCell`).
 */
export function* csvChunks<T extends CsvRowOf<K>, K extends ColumnOf<T>>(rows: readonly T[], columns: readonly K[]): Generator<string> {
  const config = { newline: "\n", quotes: false, escapeFormulae: false };
  const fields = columns.map(neutraliseCell);
  if (columns.length === 0) {
    // Papa's edge cases (no header): keep its exact output.
    const data = rows.map(() => []);
    yield (data.length === 0 ? Papa.unparse([fields], config) : Papa.unparse({ fields, data }, config)) + "\n";
    return;
  }
  yield fields.map((f) => quoteCell(f)).join(",") + "\n";
  const cells = new Array<string>(columns.length);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const end = Math.min(rows.length, start + CHUNK_ROWS);
    const lines: string[] = [];
    for (let r = start; r < end; r++) {
      const row = rows[r];
      for (let c = 0; c < columns.length; c++) cells[c] = cellCsv(row[columns[c]]);
      // join builds each line flat (concatenating cells would leave ropes to flatten later).
      lines.push(cells.join(","));
    }
    lines.push("");
    yield lines.join("\n");
  }
}

/** A dictionary-coded column: row k shows `labels[codes[k]]`, or `missing` for a code outside them (-1: null). */
export interface CodedColumn {
  codes: ArrayLike<number>;
  labels: readonly string[];
  missing: string;
}

/**
 * One column of a table written column by column (`csvColumnChunks`): numbers (a non-finite
 * one → an empty cell), strings (null → empty), or codes shown as their labels.
 */
export type CsvColumn = { numbers: ArrayLike<number> } | { strings: readonly (string | null)[] } | CodedColumn;

/** Column `column`'s cells for rows [start, end), as `cellCsv` writes them (`codedCells`: its labels' cells). */
function columnCells(column: CsvColumn, codedCells: string[] | null, start: number, end: number, out: string[]): void {
  if ("codes" in column) {
    const missing = codedCells![codedCells!.length - 1];
    for (let k = start; k < end; k++) {
      const code = column.codes[k];
      out[k - start] = code >= 0 && code < codedCells!.length - 1 ? codedCells![code] : missing;
    }
  } else if ("numbers" in column) {
    for (let k = start; k < end; k++) {
      const v = column.numbers[k];
      out[k - start] = Number.isFinite(v) ? String(v) : "";
    }
  } else {
    for (let k = start; k < end; k++) out[k - start] = cellCsv(column.strings[k]);
  }
}

/**
 * `csvChunks` of a table held as columns (`length` rows): the same text as writing its rows
 * with those cells, without an object per row, each label of a coded column formatted once.
 */
export function* csvColumnChunks(names: readonly string[], columns: readonly CsvColumn[], length: number): Generator<string> {
  if (names.length === 0 || names.length !== columns.length) throw new Error(`csvColumnChunks: ${names.length} names for ${columns.length} columns`);
  yield names.map((f) => quoteCell(neutraliseCell(f))).join(",") + "\n";
  const coded = columns.map((c) => ("codes" in c ? [...c.labels.map(cellCsv), cellCsv(c.missing)] : null));
  // A column of the same numbers as an earlier one (a run's primary model and p_complete) shares its cells.
  const first = columns.map((column, c) => ("numbers" in column ? columns.findIndex((d) => "numbers" in d && d.numbers === column.numbers) : c));
  const cells = columns.map(() => new Array<string>(CHUNK_ROWS));
  first.forEach((f, c) => (cells[c] = cells[f]));
  const line = new Array<string>(columns.length);
  for (let start = 0; start < length; start += CHUNK_ROWS) {
    const end = Math.min(length, start + CHUNK_ROWS);
    columns.forEach((column, c) => {
      if (first[c] === c) columnCells(column, coded[c], start, end, cells[c]);
    });
    const lines: string[] = [];
    for (let k = 0; k < end - start; k++) {
      for (let c = 0; c < columns.length; c++) line[c] = cells[c][k];
      lines.push(line.join(","));
    }
    lines.push("");
    yield lines.join("\n");
  }
}

/** Write a table held as columns as CSV atomically (see `csvColumnChunks`). @returns the file's length and CRC-32 */
export function writeCsvColumns(file: string, names: readonly string[], columns: readonly CsvColumn[], length: number): FileDigest {
  return writeFileAtomic(file, csvColumnChunks(names, columns, length));
}

/** CSV text for the given columns (see `csvChunks`). */
export function toCsv<T extends CsvRowOf<K>, K extends ColumnOf<T>>(rows: readonly T[], columns: readonly K[]): string {
  return [...csvChunks(rows, columns)].join("");
}

/** Write rows as CSV atomically, chunk by chunk; `columns` are keys of the row type, in file order. */
export function writeCsv<T extends CsvRowOf<K>, K extends ColumnOf<T>>(file: string, rows: readonly T[], columns: readonly K[]): void {
  writeFileAtomic(file, csvChunks(rows, columns));
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

/** An unterminated or malformed quoted field: the message names papaparse's reason and the row (0 = header). */
export class CsvSyntaxError extends Error {}

/**
 * Hand each row of CSV text written by `toCsv` (or any RFC 4180 CSV) to `visit` as papaparse
 * tokenizes it, header first (index 0), cells exactly as written (still neutralised; a row
 * may be short). No grid is kept: at 200k rows its millions of cell strings cost more in
 * garbage collection than the parse itself. The line end after the last row is not a row.
 *
 * Errors come as if the whole text were tokenized first: a quote error anywhere throws
 * `CsvSyntaxError`, even after `visit` threw on an earlier row; otherwise the first error
 * `visit` threw is rethrown once the text is read (no later row is visited).
 */
export function eachCsvRow(text: string, visit: (cells: string[], index: number) => void): void {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const relay = new RowRelay(visit);
  Papa.parse<string[]>(body, {
    header: false,
    delimiter: ",",
    skipEmptyLines: false,
    dynamicTyping: false,
    step: (result) => relay.step(result),
  });
  relay.finish(body);
}

/** papaparse's rows to a visitor, one row behind (the last may be the final line end's), with `eachCsvRow`'s error order. */
class RowRelay {
  private tokenized = 0;
  private pending: string[] | null = null;
  private syntaxError: CsvSyntaxError | null = null;
  private visitError: { error: unknown } | null = null;

  constructor(private readonly visit: (cells: string[], index: number) => void) {}

  step(result: Papa.ParseStepResult<string[]>): void {
    if (this.syntaxError) return;
    const quote = result.errors.find((e) => e.type === "Quotes");
    if (quote) this.syntaxError = new CsvSyntaxError(`CSV parse error: ${quote.message} (row ${this.tokenized})`);
    else if (this.pending) this.deliver(this.pending, this.tokenized - 1);
    this.pending = result.data;
    this.tokenized++;
  }

  finish(body: string): void {
    if (this.syntaxError) throw this.syntaxError;
    const last = this.pending;
    // papaparse yields one [""] row for the final line end: drop exactly that one.
    if (last && !(/[\r\n]$/.test(body) && last.length === 1 && last[0] === "")) this.deliver(last, this.tokenized - 1);
    if (this.visitError) throw this.visitError.error;
  }

  private deliver(cells: string[], index: number): void {
    if (this.visitError) return;
    try {
      this.visit(cells, index);
    } catch (error) {
      this.visitError = { error };
    }
  }
}

/**
 * A typed cell (see `ParseCsvOptions.typed`): empty → null, a neutralised cell → its text, a
 * decimal number → number, anything else as written. First-character tests spare the regexes
 * on cells that cannot match them.
 */
export function typedCell(raw: string): string | number | null {
  if (raw === "") return null;
  const c0 = raw.charCodeAt(0);
  if (c0 === 39) return WAS_PREFIXED.test(raw) ? raw.slice(1) : raw; // '
  const numeric = c0 === 45 || c0 === 46 || (c0 >= 48 && c0 <= 57); // - . 0-9
  return numeric && NUMBER.test(raw) ? Number(raw) : raw;
}

/** Parse CSV text written by `toCsv` (or any RFC 4180 CSV with a header row); a repeated column: the last one wins. */
export function parseCsv(text: string, options: ParseCsvOptions = {}): ParsedCsv {
  const cell = (options.typed ?? true) ? typedCell : restoreCell;
  let columns: string[] = [];
  const rows: ParsedCsv["rows"] = [];
  eachCsvRow(text, (cells, index) => {
    if (index === 0) {
      columns = cells.map(restoreCell);
      return;
    }
    const row: Record<string, string | number | null> = {};
    for (let j = 0; j < columns.length; j++) row[columns[j]] = cell(cells[j] ?? "");
    rows.push(row);
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
