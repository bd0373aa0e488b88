/**
 * The notebooks row of the benchmark: every numbered notebook run headlessly (as `npm start`
 * runs them: one run_notebook.py process, a fresh kernel each, HTML renderings) on a bench
 * export, into a fresh output folder. Records the whole run's wall time, each notebook's time
 * and kernel peak RSS, and the latency of its first data cell (the code cell after the
 * parameters cell).
 */
import * as fs from "fs";
import * as path from "path";
import { executeNotebooks, notebookEnv, notebookList } from "../scripts/run-notebooks";

export interface NotebookTiming {
  notebook: string;
  seconds: number;
  /** Seconds of the first code cell after the parameters cell (null if not recorded). */
  firstDataCellSeconds: number | null;
  peakRssMb: number | null;
  /** The code cell after which the kernel's peak RSS rose most (where the peak was reached). */
  peakCell: string | null;
  /** Every code cell: [id, seconds, kernel peak RSS MB so far], as run_notebook.py recorded them. */
  cells: [string, number | null, (number | null)?][];
}

export interface NotebooksRun {
  /** Spawn → exit of the runner, all notebooks. */
  seconds: number;
  notebooks: NotebookTiming[];
  /** Largest kernel peak RSS, MB. */
  peakRssMb: number | null;
}

const ROOT = path.resolve(__dirname, "..");

/** The id of the code cell after the parameters cell (tagged `parameters`, or the cell that calls paramsFromEnv). */
export function firstDataCellId(notebookFile: string): string | null {
  const nb = JSON.parse(fs.readFileSync(notebookFile, "utf8")) as { cells: { id?: string; cell_type: string; source: string | string[]; metadata?: { tags?: string[] } }[] };
  const code = nb.cells.filter((c) => c.cell_type === "code");
  const text = (c: { source: string | string[] }) => [c.source].flat().join("");
  const at = code.findIndex((c) => c.metadata?.tags?.includes("parameters") || /paramsFromEnv\(/.test(text(c)));
  return at >= 0 && at + 1 < code.length ? code[at + 1].id ?? null : null;
}

/** The cell after which the recorded peak RSS rose most, from run_notebook.py's [id, seconds, peak MB] rows. */
export function peakCell(cells: [string, number | null, (number | null)?][]): string | null {
  let best: string | null = null;
  let rise = -1;
  let before = 0;
  for (const [id, , peak] of cells) {
    if (peak === null || peak === undefined) continue;
    if (peak - before > rise) [best, rise] = [id, peak - before];
    before = peak;
  }
  return best;
}

export function runNotebooksBench(exportDir: string, outputDir: string, log: (line: string) => void): NotebooksRun {
  fs.rmSync(outputDir, { recursive: true, force: true });
  // The same work as the CLI row, which runs without --compare-labels: 04's rule comparison is off.
  const env = notebookEnv({ SPOTIFY_EXPORT: exportDir, OUTPUT_DIR: outputDir, COMPARE_LABELS: "off" });
  const executed = path.join(outputDir, "notebooks");
  fs.mkdirSync(executed, { recursive: true });
  const names = notebookList();
  const pairs = names.map((name) => ({ source: path.join(ROOT, "notebooks", name), target: path.join(executed, name) }));
  const t0 = process.hrtime.bigint();
  const runs = executeNotebooks(pairs, env, true);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const failed = runs.find((r) => !r.ok);
  if (failed) throw new Error(`notebook ${failed.notebook} failed on ${exportDir}: ${failed.error ?? ""}`);
  const notebooks = runs.map((r) => {
    const id = firstDataCellId(path.join(ROOT, "notebooks", r.notebook));
    const cell = r.cells?.find((c) => c[0] === id);
    return { notebook: r.notebook, seconds: r.seconds, firstDataCellSeconds: cell?.[1] ?? null, peakRssMb: r.peakRssMb ?? null, peakCell: peakCell(r.cells ?? []), cells: r.cells ?? [] };
  });
  for (const n of notebooks) log(`  ${n.notebook}: ${n.seconds.toFixed(1)} s, first data cell ${n.firstDataCellSeconds ?? "?"} s, peak RSS ${n.peakRssMb ?? "?"} MB (rose most in cell ${n.peakCell ?? "?"})`);
  const peaks = notebooks.map((n) => n.peakRssMb).filter((x): x is number => x !== null);
  return { seconds: Math.round(seconds * 1000) / 1000, notebooks, peakRssMb: peaks.length ? Math.max(...peaks) : null };
}
