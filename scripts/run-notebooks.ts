/**
 * Executes the numbered notebooks in order, headlessly, through the committed tslab
 * kernel spec (`jupyter/kernels/tslab`), and writes executed copies plus HTML renderings
 * to `<OUTPUT_DIR>/notebooks/`. A failing cell stops the run with a non-zero exit and
 * prints the notebook, the cell and the real error text.
 *
 *   tsx scripts/run-notebooks.ts [--only PREFIX...] [--no-html]
 * Environment: SPOTIFY_EXPORT (default data-sample/), OUTPUT_DIR (default outputs/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

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
  seconds: number;
  ok: boolean;
  error?: string;
}

/** The environment the kernel sees: absolute SPOTIFY_EXPORT / OUTPUT_DIR and the committed kernel spec. */
export function notebookEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  env.SPOTIFY_EXPORT = resolve(root, env.SPOTIFY_EXPORT ?? "data-sample");
  env.OUTPUT_DIR = resolve(root, env.OUTPUT_DIR ?? "outputs");
  env.JUPYTER_PATH = [join(root, "jupyter"), env.JUPYTER_PATH].filter(Boolean).join(":");
  return env;
}

/** Executes one notebook into `target`; on failure `error` holds the cell and its real error text. */
export function runNotebook(source: string, target: string, env: NodeJS.ProcessEnv, html = true): NotebookRun {
  const started = Date.now();
  const result = spawnSync(findPython(), [join(root, "scripts", "run_notebook.py"), source, target], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
  });
  const seconds = (Date.now() - started) / 1000;
  const notebook = basename(source);
  if (result.status !== 0) {
    return { notebook, seconds, ok: false, error: (result.stderr || String(result.error ?? "")).trim() };
  }
  if (html) {
    const rendered = spawnSync("jupyter-nbconvert", ["--to", "html", "--log-level", "WARN", target, "--output-dir", dirname(target)], {
      env,
      encoding: "utf8",
    });
    if (rendered.status !== 0) return { notebook, seconds, ok: false, error: `HTML rendering failed: ${rendered.stderr}` };
  }
  return { notebook, seconds, ok: true };
}

/** Runs the numbered notebooks in order and stops at the first failure. */
export function runNotebooks(options: { only?: string[]; html?: boolean; env?: NodeJS.ProcessEnv } = {}): NotebookRun[] {
  const env = notebookEnv(options.env);
  const executedDir = join(env.OUTPUT_DIR as string, "notebooks");
  mkdirSync(executedDir, { recursive: true });
  const runs: NotebookRun[] = [];
  for (const name of notebookList(options.only)) {
    const run = runNotebook(join(root, "notebooks", name), join(executedDir, name), env, options.html !== false);
    runs.push(run);
    if (!run.ok) break;
  }
  return runs;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  const runs = runNotebooks({ only, html: !args.includes("--no-html") });
  for (const run of runs) {
    process.stderr.write(`${run.ok ? "ok  " : "FAIL"} ${run.notebook} (${run.seconds.toFixed(1)} s)\n`);
  }
  const failed = runs.find((r) => !r.ok);
  if (failed) {
    process.stderr.write(`\n${failed.error}\n`);
    process.exit(1);
  }
  const total = runs.reduce((sum, r) => sum + r.seconds, 0);
  process.stderr.write(`${runs.length} notebooks executed in ${total.toFixed(1)} s; executed copies and HTML in ${join(process.env.OUTPUT_DIR ?? "outputs", "notebooks")}\n`);
}
