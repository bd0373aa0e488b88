/**
 * Executes the numbered notebooks in order, headlessly, through the committed tslab
 * kernel spec (`jupyter/kernels/tslab`), and writes executed copies plus HTML renderings
 * to `<OUTPUT_DIR>/notebooks/`, then the presentation built from them (`<OUTPUT_DIR>/presentation/`,
 * scripts/present.ts). A failing cell stops the run with a non-zero exit and prints the
 * notebook, the cell and the real error text.
 *
 *   tsx scripts/run-notebooks.ts [--only PREFIX...] [--no-html]
 * Environment: SPOTIFY_EXPORT (default data-sample/), OUTPUT_DIR (default outputs/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { present } from "./present";

const root = resolve(__dirname, "..");

export function findPython(): string {
  // Debian's jupyter packages live in the system interpreter, not in a pyenv shim.
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

export function notebookList(only: string[] = []): string[] {
  return readdirSync(join(root, "notebooks"))
    .filter((name) => /^\d\d_.+\.ipynb$/.test(name))
    .filter((name) => only.length === 0 || only.some((prefix) => name.startsWith(prefix)))
    .sort();
}

export interface NotebookRun {
  notebook: string;
  /** Wall time from the end of the previous notebook (kernel start, cells, HTML). */
  seconds: number;
  ok: boolean;
  error?: string;
  /** [cell id, seconds] per code cell, from nbclient's recorded timing. */
  cells?: [string, number | null][];
  /** The kernel process's peak RSS in MB (VmHWM), null when it could not be read. */
  peakRssMb?: number | null;
}

/** The environment the kernel sees: absolute SPOTIFY_EXPORT / OUTPUT_DIR and the committed kernel spec. */
export function notebookEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  env.SPOTIFY_EXPORT = resolve(root, env.SPOTIFY_EXPORT ?? "data-sample");
  env.OUTPUT_DIR = resolve(root, env.OUTPUT_DIR ?? "outputs");
  env.JUPYTER_PATH = [join(root, "jupyter"), env.JUPYTER_PATH].filter(Boolean).join(":");
  return env;
}

/**
 * Executes notebooks in order, each in a fresh kernel, through ONE run_notebook.py process
 * (it starts the next kernel while the current notebook runs and renders HTML in-process),
 * and stops at the first failure; a failed run's `error` holds the cell and its real error text.
 */
export function executeNotebooks(pairs: { source: string; target: string }[], env: NodeJS.ProcessEnv, html = true, stream = false): NotebookRun[] {
  const args = [join(root, "scripts", "run_notebook.py"), ...(html ? ["--html"] : []), ...pairs.flatMap((p) => [p.source, p.target])];
  // stream: progress and a failure's details go straight to our stderr (the CLI), else they are captured into `error`.
  const result = spawnSync(findPython(), args, { env, encoding: "utf8", stdio: ["ignore", "pipe", stream ? "inherit" : "pipe"], maxBuffer: 64 * 1024 * 1024 });
  const runs: NotebookRun[] = (result.stdout ?? "")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as NotebookRun);
  if (result.status !== 0) {
    const error = (result.stderr || String(result.error ?? "")).trim() || (stream ? "(details above)" : `run_notebook.py exited with ${result.status}`);
    const last = runs[runs.length - 1];
    if (last && !last.ok) last.error = error;
    else runs.push({ notebook: basename(pairs[runs.length]?.source ?? "?"), seconds: 0, ok: false, error });
  }
  return runs;
}

/** Executes one notebook into `target`; on failure `error` holds the cell and its real error text. */
export function runNotebook(source: string, target: string, env: NodeJS.ProcessEnv, html = true): NotebookRun {
  return executeNotebooks([{ source, target }], env, html)[0];
}

/** Runs the numbered notebooks in order and stops at the first failure. */
export function runNotebooks(options: { only?: string[]; html?: boolean; env?: NodeJS.ProcessEnv; stream?: boolean } = {}): NotebookRun[] {
  const env = notebookEnv(options.env);
  const executedDir = join(env.OUTPUT_DIR as string, "notebooks");
  mkdirSync(executedDir, { recursive: true });
  const pairs = notebookList(options.only).map((name) => ({ source: join(root, "notebooks", name), target: join(executedDir, name) }));
  return executeNotebooks(pairs, env, options.html !== false, options.stream === true);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  // run_notebook.py prints a progress line per notebook (and a failure's details) as it goes.
  const runs = runNotebooks({ only, html: !args.includes("--no-html"), stream: true });
  const failed = runs.find((r) => !r.ok);
  if (failed) {
    if (failed.error !== "(details above)") process.stderr.write(`\n${failed.error}\n`);
    process.exit(1);
  }
  const total = runs.reduce((sum, r) => sum + r.seconds, 0);
  process.stderr.write(`${runs.length} notebooks executed in ${total.toFixed(1)} s; executed copies and HTML in ${join(process.env.OUTPUT_DIR ?? "outputs", "notebooks")}\n`);
  if (!present(notebookEnv().OUTPUT_DIR as string)) process.exit(1);
}
