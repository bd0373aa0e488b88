/**
 * Executes the numbered notebooks in order, headlessly, through the committed tslab
 * kernel spec (`jupyter/kernels/tslab`), and writes executed copies plus HTML renderings
 * to `<OUTPUT_DIR>/notebooks/`, then the presentation built from them (`<OUTPUT_DIR>/presentation/`,
 * scripts/present.ts). A failing cell stops the run with a non-zero exit and prints the
 * notebook, the cell and the real error text.
 *
 * The run holds the output folder's lock, the CLI's (src/pipeline/outputFolder.ts), from the
 * first notebook to the presentation: the notebooks write into the folder as they go (each
 * reads what the earlier ones wrote), so a second `npm start` or a CLI run on the same folder is
 * refused with the folder, the lock file and the fix, instead of interleaving its files.
 *
 *   tsx scripts/run-notebooks.ts [--only PREFIX...] [--no-html] [--wait] [--output-dir DIR]
 * Environment: SPOTIFY_EXPORT (default data-sample/), OUTPUT_DIR (default outputs/; --output-dir wins).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { isUserInputError } from "../src/common/errors";
import { OutputFolder } from "../src/pipeline/outputFolder";
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

/** The first notebook: it checks the machine and lists the export, and passes nothing on. */
export const SETUP_CHECK = "00_setup_check.ipynb";

export interface NotebookRun {
  notebook: string;
  /** Wall time from the end of the previous notebook (kernel start, cells, HTML). */
  seconds: number;
  ok: boolean;
  error?: string;
  /** [cell id, seconds, kernel peak RSS in MB after the cell] per code cell (seconds from nbclient's recorded timing). */
  cells?: [string, number | null, (number | null)?][];
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
  // The setup check reads nothing the other notebooks write and writes nothing they read: it runs
  // beside them (its kernel boot and cells, 5-11 s on the bench machine, no longer delay 01).
  const beside = pairs.length > 1 && basename(pairs[0].source) === SETUP_CHECK ? ["--first-beside"] : [];
  const args = [join(root, "scripts", "run_notebook.py"), ...(html ? ["--html"] : []), ...beside, ...pairs.flatMap((p) => [p.source, p.target])];
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

export interface RunNotebooksOptions {
  only?: string[];
  html?: boolean;
  env?: NodeJS.ProcessEnv;
  stream?: boolean;
  /** Wait for another run's lock on the output folder instead of refusing. */
  wait?: boolean;
  /** Also done under the folder's lock, after the notebooks (the presentation). */
  then?: (runs: NotebookRun[], outputDir: string) => void;
  onNotice?: (line: string) => void;
}

/**
 * Runs the numbered notebooks in order and stops at the first failure, holding the output
 * folder's lock throughout (a folder in use by another run: `UserInputError`, nothing written).
 */
export async function runNotebooks(options: RunNotebooksOptions = {}): Promise<NotebookRun[]> {
  const env = notebookEnv(options.env);
  const outputDir = env.OUTPUT_DIR as string;
  // The CLI's lock and tidy-up; its staging folder stays empty (the kernels write in place) and
  // `abort` drops it and releases the lock.
  const folder = await OutputFolder.open(outputDir, { wait: options.wait, onNotice: options.onNotice });
  try {
    const executedDir = join(outputDir, "notebooks");
    mkdirSync(executedDir, { recursive: true });
    const pairs = notebookList(options.only).map((name) => ({ source: join(root, "notebooks", name), target: join(executedDir, name) }));
    const runs = executeNotebooks(pairs, env, options.html !== false, options.stream === true);
    options.then?.(runs, outputDir);
    return runs;
  } finally {
    folder.abort();
  }
}

async function main(args: string[]): Promise<number> {
  const at = args.indexOf("--output-dir");
  const outputDir = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && (!outputDir || outputDir.startsWith("--"))) {
    process.stderr.write("--output-dir needs a folder, e.g. `npm start -- --output-dir outputs-2`.\n");
    return 2;
  }
  const only = args.filter((a, i) => !a.startsWith("--") && !(at >= 0 && i === at + 1));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let presented = true;
  let runs: NotebookRun[];
  try {
    // run_notebook.py prints a progress line per notebook (and a failure's details) as it goes.
    runs = await runNotebooks({
      only,
      html: !args.includes("--no-html"),
      stream: true,
      wait: args.includes("--wait"),
      onNotice: log,
      env: outputDir ? { OUTPUT_DIR: resolve(process.cwd(), outputDir) } : {},
      then: (done, dir) => {
        if (!done.every((r) => r.ok)) return;
        log(`${done.length} notebooks executed in ${done.reduce((sum, r) => sum + r.seconds, 0).toFixed(1)} s; executed copies and HTML in ${join(dir, "notebooks")}`);
        presented = present(dir);
      },
    });
  } catch (error) {
    if (!isUserInputError(error)) throw error;
    log(error.message);
    return 1;
  }
  const failed = runs.find((r) => !r.ok);
  if (failed) {
    if (failed.error !== "(details above)") log(`\n${failed.error}`);
    return 1;
  }
  return presented ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
