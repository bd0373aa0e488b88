/**
 * Executed notebook (nbformat 4 JSON) → what an audience sees: the notebook's title and its
 * `##` sections, each a list of blocks (markdown prose, text/HTML/SVG/image outputs). Code
 * sources and stderr are left out on purpose: a presentation shows results, not code or
 * kernel noise. Nothing here is escaped or sanitised yet: `blocks.ts` does that.
 */
import * as fs from "fs";
import * as path from "path";
import { UserInputError } from "../../common/errors";

/** One thing shown on the page, still raw (untrusted) text. */
export type Block =
  /** `cell`: the notebook's own prose; `output`: a sentence a cell computed (tslab's display.markdown). */
  | { kind: "markdown"; markdown: string; origin: "cell" | "output" }
  | { kind: "text"; text: string }
  | { kind: "html"; html: string }
  | { kind: "svg"; svg: string }
  | { kind: "image"; mime: "image/png" | "image/jpeg"; base64: string }
  | { kind: "error"; text: string };

export interface Section {
  /** Heading text without the `## ` marker, e.g. "1. Runtime and TensorFlow.js backend". */
  title: string;
  /** The section's number when the heading is numbered ("## 3. …"), else null (e.g. "Results"). */
  number: number | null;
  /** Unique element id within a page, e.g. "nb-00-s3". */
  id: string;
  blocks: Block[];
}

export interface NotebookDoc {
  /** File name without `.ipynb`, e.g. "00_setup_check". */
  name: string;
  /** The `#` heading, else the file name. */
  title: string;
  id: string;
  /** Everything before the first `##` heading (the notebook's purpose statement). */
  intro: Block[];
  sections: Section[];
}

/** The parts of nbformat 4 read here. */
interface RawOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
interface RawCell {
  cell_type: string;
  source: string | string[];
  outputs?: RawOutput[];
}

const joined = (value: unknown): string => (Array.isArray(value) ? value.map(String).join("") : typeof value === "string" ? value : "");
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");

/** Blocks of one output; richest representation first (SVG, image, HTML, markdown, text). */
function outputBlocks(output: RawOutput): Block[] {
  if (output.output_type === "stream") return output.name === "stdout" ? [{ kind: "text", text: stripAnsi(joined(output.text)) }] : [];
  if (output.output_type === "error") return [{ kind: "error", text: stripAnsi(`${output.ename ?? "Error"}: ${output.evalue ?? ""}`) }];
  const data = output.data ?? {};
  if ("image/svg+xml" in data) return [{ kind: "svg", svg: joined(data["image/svg+xml"]) }];
  for (const mime of ["image/png", "image/jpeg"] as const) {
    if (mime in data) return [{ kind: "image", mime, base64: joined(data[mime]).replace(/\s+/g, "") }];
  }
  if ("text/html" in data) return [{ kind: "html", html: joined(data["text/html"]) }];
  if ("text/markdown" in data) return [{ kind: "markdown", markdown: joined(data["text/markdown"]), origin: "output" }];
  if ("text/plain" in data) return [{ kind: "text", text: stripAnsi(joined(data["text/plain"])) }];
  return [];
}

/** Splits a notebook's cells into its title, intro and `##` sections. */
export function notebookDoc(name: string, notebook: { cells?: RawCell[] }): NotebookDoc {
  const id = `nb-${name.replace(/[^A-Za-z0-9_-]/g, "")}`;
  const doc: NotebookDoc = { name, title: name, id, intro: [], sections: [] };
  let titled = false;
  const current = (): Block[] => doc.sections[doc.sections.length - 1]?.blocks ?? doc.intro;
  const addMarkdown = (lines: string[]) => {
    const text = lines.join("\n").trim();
    if (text) current().push({ kind: "markdown", markdown: text, origin: "cell" });
  };
  for (const cell of notebook.cells ?? []) {
    if (cell.cell_type === "markdown") {
      let pending: string[] = [];
      let fenced = false;
      for (const line of joined(cell.source).split("\n")) {
        if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
        const h1 = !fenced && /^#\s+(.*)$/.exec(line);
        const h2 = !fenced && /^##\s+(.*)$/.exec(line);
        if (h1 && !titled) {
          addMarkdown(pending);
          pending = [];
          doc.title = h1[1].trim();
          titled = true;
        } else if (h2) {
          addMarkdown(pending);
          pending = [];
          const title = h2[1].trim();
          const number = /^(\d+)\.\s/.exec(title);
          doc.sections.push({ title, number: number ? Number(number[1]) : null, id: `${id}-s${doc.sections.length + 1}`, blocks: [] });
        } else pending.push(line);
      }
      addMarkdown(pending);
    } else if (cell.cell_type === "code") {
      for (const output of cell.outputs ?? []) current().push(...outputBlocks(output));
    }
  }
  return doc;
}

/** Reads one executed notebook; a file that is not notebook JSON is a UserInputError naming it. */
export function readNotebook(file: string): NotebookDoc {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserInputError(`${file} is not a readable notebook (${error instanceof Error ? error.message : String(error)}). Run \`npm start\` again to re-execute the notebooks.`, file);
  }
  const cells = typeof parsed === "object" && parsed !== null ? (parsed as { cells?: unknown }).cells : undefined;
  if (!Array.isArray(cells)) throw new UserInputError(`${file} holds no notebook cells. Run \`npm start\` again to re-execute the notebooks.`, file);
  return notebookDoc(path.basename(file).replace(/\.ipynb$/, ""), { cells: cells as RawCell[] });
}

/**
 * `doc` with every occurrence of the absolute folder `dir` written as its last component
 * (`/home/me/spotify/outputs/x.json` → `outputs/x.json`): an audience sees where a file is
 * within the output folder, not the presenter's home directory.
 */
export function withRelativePaths(doc: NotebookDoc, dir: string): NotebookDoc {
  const absolute = path.resolve(dir);
  const label = path.basename(absolute);
  const fix = (text: string) => text.split(absolute).join(label);
  const block = (b: Block): Block => {
    switch (b.kind) {
      case "markdown":
        return { ...b, markdown: fix(b.markdown) };
      case "text":
      case "error":
        return { ...b, text: fix(b.text) };
      case "html":
        return { ...b, html: fix(b.html) };
      default:
        return b;
    }
  };
  return { ...doc, intro: doc.intro.map(block), sections: doc.sections.map((s) => ({ ...s, blocks: s.blocks.map(block) })) };
}
