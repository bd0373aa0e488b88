/**
 * Output-schema validation for the standard outputs (schemas in outputs-template/schema/).
 *
 * CSV schemas use a small project format: the columns in file order, each with a type
 * (string | number | integer | boolean | probability), a nullable flag (an empty cell is
 * null) and a required flag; optional enum / minimum / maximum / pattern.
 * JSON schemas are a JSON Schema 2020-12 subset: type (one or a list), enum, required,
 * properties, additionalProperties, items, minItems/maxItems, minimum/maximum, anyOf and
 * local `$ref`s ("#/$defs/name"). "integer" means a whole number, "number" a FINITE one.
 *
 * Both validators return a list of problems in words; an empty list means the file is valid.
 */
import * as fs from "fs";
import { readCsvTable } from "./csv";

export type CsvColumnType = "string" | "number" | "integer" | "boolean" | "probability";

export interface CsvColumnSchema {
  name: string;
  type: CsvColumnType;
  nullable: boolean;
  required: boolean;
  enum?: (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  description?: string;
}

export interface CsvSchema {
  file?: string;
  format?: "csv";
  description?: string;
  /** Columns in file order. */
  columns: CsvColumnSchema[];
  /** Columns not in the schema are problems unless this is true (default false). */
  additional_columns?: boolean;
  rows?: { min?: number; max?: number };
}

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: JsonType | JsonType[];
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  [annotation: string]: unknown;
}

type JsonType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";

/** Problems reported per column before the rest are summarised. */
const MAX_PER_COLUMN = 5;

/** Read a schema file (JSON). */
export function readSchema<T = CsvSchema | JsonSchema>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$|^-?\.\d+$/;

/** Why `raw` (the exact cell text) does not fit `col`, or null when it does. */
function cellProblem(raw: string, col: CsvColumnSchema): string | null {
  if (raw === "") return col.nullable ? null : "empty but the column is not nullable";
  let value: string | number | boolean = raw;
  switch (col.type) {
    case "string":
      break;
    case "boolean":
      if (raw !== "true" && raw !== "false") return `${JSON.stringify(raw)} is not true/false`;
      value = raw === "true";
      break;
    case "integer":
      if (!INTEGER.test(raw)) return `${JSON.stringify(raw)} is not an integer`;
      value = Number(raw);
      break;
    case "number":
    case "probability":
      if (!NUMBER.test(raw) || !Number.isFinite(Number(raw))) return `${JSON.stringify(raw)} is not a finite number`;
      value = Number(raw);
      if (col.type === "probability" && !(value >= 0 && value <= 1)) return `${raw} is not a probability in [0, 1]`;
      break;
    default:
      return `unknown column type ${JSON.stringify(col.type)} in the schema`;
  }
  if (col.enum && !col.enum.includes(value)) return `${JSON.stringify(raw)} is not one of ${col.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  if (typeof value === "number" && col.minimum !== undefined && value < col.minimum) return `${raw} < minimum ${col.minimum}`;
  if (typeof value === "number" && col.maximum !== undefined && value > col.maximum) return `${raw} > maximum ${col.maximum}`;
  if (col.pattern !== undefined && !new RegExp(col.pattern).test(raw)) return `${JSON.stringify(raw)} does not match /${col.pattern}/`;
  return null;
}

/**
 * Checks a CSV file written by report/csv against a CSV schema: header (required columns
 * present, schema order kept, no unknown columns unless allowed), row count bounds, and
 * every cell's type / nullability / enum / range. Cells are read as the exact strings
 * written (`typed: false`), so a track named "1984" is still a string.
 */
export function validateCsvAgainstSchema(file: string, schema: CsvSchema): string[] {
  const problems: string[] = [];
  let table: ReturnType<typeof readCsvTable>;
  try {
    table = readCsvTable(file, { typed: false });
  } catch (error) {
    return [`${file}: cannot read: ${error instanceof Error ? error.message : String(error)}`];
  }
  const name = schema.file ?? file;
  const { columns, rows } = table;
  if (columns.length === 0) return [`${name}: no header row`];

  const known = new Map(schema.columns.map((c) => [c.name, c]));
  const duplicates = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (duplicates.length > 0) problems.push(`${name}: duplicate columns ${duplicates.join(", ")}`);
  for (const c of schema.columns) if (c.required && !columns.includes(c.name)) problems.push(`${name}: missing required column ${c.name}`);
  if (!schema.additional_columns) {
    const extra = columns.filter((c) => !known.has(c));
    if (extra.length > 0) problems.push(`${name}: unexpected columns ${extra.join(", ")}`);
  }
  // Schema columns that are present must appear in the schema's order.
  const present = columns.filter((c) => known.has(c));
  const expectedOrder = schema.columns.map((c) => c.name).filter((c) => present.includes(c));
  if (present.join(",") !== expectedOrder.join(",")) problems.push(`${name}: columns out of order: got ${present.join(", ")}; expected ${expectedOrder.join(", ")}`);

  if (schema.rows?.min !== undefined && rows.length < schema.rows.min) problems.push(`${name}: ${rows.length} rows, expected at least ${schema.rows.min}`);
  if (schema.rows?.max !== undefined && rows.length > schema.rows.max) problems.push(`${name}: ${rows.length} rows, expected at most ${schema.rows.max}`);

  for (const c of columns) {
    const col = known.get(c);
    if (!col) continue;
    let count = 0;
    rows.forEach((row, r) => {
      const problem = cellProblem(String(row[c] ?? ""), col);
      if (problem === null) return;
      count++;
      if (count <= MAX_PER_COLUMN) problems.push(`${name} row ${r + 1} column ${c}: ${problem}`);
    });
    if (count > MAX_PER_COLUMN) problems.push(`${name} column ${c}: ${count - MAX_PER_COLUMN} more problems`);
  }
  return problems;
}

function typeOf(value: unknown): JsonType | "non-finite number" | "undefined" | "other" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isFinite(value) ? (Number.isInteger(value) ? "integer" : "number") : "non-finite number";
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "object") return typeof value as JsonType;
  return value === undefined ? "undefined" : "other";
}

function matchesType(value: unknown, type: JsonType): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema | null {
  const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
  return m && root.$defs && root.$defs[m[1]] ? root.$defs[m[1]] : null;
}

function checkValue(value: unknown, schema: JsonSchema, root: JsonSchema, at: string, problems: string[]): void {
  if (schema.$ref !== undefined) {
    const target = resolveRef(schema.$ref, root);
    if (!target) problems.push(`${at}: unresolvable $ref ${schema.$ref} in the schema`);
    else checkValue(value, target, root, at, problems);
    return;
  }
  if (schema.anyOf) {
    const attempts = schema.anyOf.map((s) => {
      const p: string[] = [];
      checkValue(value, s, root, at, p);
      return p;
    });
    if (!attempts.some((p) => p.length === 0)) problems.push(`${at}: matches none of anyOf (${attempts.map((p) => p[0]).join(" | ")})`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      problems.push(`${at}: expected ${types.join(" or ")}, got ${typeOf(value)}${typeof value === "number" ? ` ${value}` : ""}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) problems.push(`${at}: non-finite number ${value}`);
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: ${value} < minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: ${value} > maximum ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${at}: ${value.length} items, expected at least ${schema.minItems}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${at}: ${value.length} items, expected at most ${schema.maxItems}`);
    if (schema.items) value.forEach((item, i) => checkValue(item, schema.items as JsonSchema, root, `${at}[${i}]`, problems));
  } else if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) problems.push(`${at}: missing required key ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) checkValue(v, sub, root, `${at}.${key}`, problems);
      else if (schema.additionalProperties === false) problems.push(`${at}: unexpected key ${key}`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object") checkValue(v, schema.additionalProperties, root, `${at}.${key}`, problems);
    }
  }
}

/** Checks a parsed JSON value against a JSON schema (subset, see module comment). */
export function validateJsonValue(value: unknown, schema: JsonSchema, label = "$"): string[] {
  const problems: string[] = [];
  checkValue(value, schema, schema, label, problems);
  return problems;
}

/**
 * Checks a JSON output file against a JSON schema. The text must be strict JSON (so a
 * NaN or Infinity written by mistake is reported as a parse problem).
 */
export function validateJsonAgainstSchema(file: string, schema: JsonSchema): string[] {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    return [`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  return validateJsonValue(value, schema, typeof schema.title === "string" ? schema.title : "$");
}
