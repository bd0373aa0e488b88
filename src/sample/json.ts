/**
 * Account Data files come out of Jackson's default pretty printer: `"key" : value`,
 * 2-space object indentation, arrays kept on one line (`[ {`, `}, {`, `} ]`, `[ ]`).
 * Reproducing that keeps parsers honest about whitespace.
 */
export function jacksonStringify(value: unknown, depth = 0): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[ ]";
    return "[ " + value.map((v) => jacksonStringify(v, depth)).join(", ") + " ]";
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{ }";
  const pad = "  ".repeat(depth + 1);
  const body = entries
    .map(([k, v]) => pad + JSON.stringify(k) + " : " + jacksonStringify(v, depth + 1))
    .join(",\n");
  return "{\n" + body + "\n" + "  ".repeat(depth) + "}";
}
