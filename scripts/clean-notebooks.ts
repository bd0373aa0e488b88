/**
 * Strips outputs, execution counts and per-run metadata from the committed notebooks,
 * so git never holds results (which may contain personal data).
 *   tsx scripts/clean-notebooks.ts [--check]   (--check: list dirty notebooks, exit 1 if any)
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const notebooksDir = resolve(__dirname, "..", "notebooks");

interface Cell { cell_type: string; id?: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null; metadata?: Record<string, unknown> }
interface Notebook { cells: Cell[]; metadata: Record<string, unknown>; nbformat: number; nbformat_minor: number }

/** Returns the cleaned notebook JSON text (stable key order, 1-space indent like Jupyter). */
export function cleanNotebook(text: string): string {
  const notebook = JSON.parse(text) as Notebook;
  notebook.cells.forEach((cell, index) => {
    cell.id = cell.id ?? `cell-${index}`;
    // Tags are authored (papermill's `parameters` tag), not per-run state: keep them.
    const tags = cell.metadata?.tags;
    cell.metadata = Array.isArray(tags) && tags.length ? { tags } : {};
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
  });
  const { kernelspec, language_info } = notebook.metadata;
  notebook.metadata = { kernelspec, language_info };
  return JSON.stringify(notebook, null, 1) + "\n";
}

export function isDirty(text: string): boolean {
  const notebook = JSON.parse(text) as Notebook;
  return notebook.cells.some((c) => c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || c.execution_count != null));
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  const dirty: string[] = [];
  for (const name of readdirSync(notebooksDir).filter((n) => n.endsWith(".ipynb")).sort()) {
    const path = join(notebooksDir, name);
    const text = readFileSync(path, "utf8");
    if (check) {
      if (isDirty(text)) dirty.push(name);
    } else {
      const cleaned = cleanNotebook(text);
      if (cleaned !== text) {
        writeFileSync(path, cleaned);
        process.stderr.write(`cleaned ${name}\n`);
      }
    }
  }
  if (dirty.length) {
    process.stderr.write(`notebooks with outputs: ${dirty.join(", ")} (run npm run clean-notebooks)\n`);
    process.exit(1);
  }
}
