/**
 * Issue #9's table: the generator's planted truth, parity and in-session ranking across seeds
 * and sizes, for the code of this checkout (and, optionally, beside an earlier one's runs).
 *   npx tsx bench/truth-sweep.ts [--sizes 3000,30000,300000] [--seeds 1,2,3,4,5] [--cache-dir bench/cache]
 *                                [--runs FILE.jsonl] [--label NAME] [--before FILE.jsonl] [--out bench/truth-sweep.md]
 * For each export: ingest → features → every model → evaluation (the pipeline's own stages, no
 * outputs). One JSON line per (size, seed) is appended to `--runs` (default
 * `<cache-dir>/truth-sweep-<label>.jsonl`); runs already there are not repeated, so a sweep can
 * be resumed or split across processes. `--table-only` renders from the runs files alone.
 * The table (mean ± sample SD over seeds) has one row per size and metric; with `--before`,
 * the earlier runs' column sits beside this checkout's ("after").
 *
 * Per run: Bayes AUC (true p's own AUC on the test rows), the primary model's AUC and AUC vs
 * truth (src/sample/truth.ts), the tfjs-vs-closed-loop parity (|Δ test AUC|, max |Δ w| on
 * standardised inputs), NDCG@5 / MAP@5 within test sessions of the primary model and the
 * prior heuristic, and the paired difference of their NDCG@5 with its standard error over
 * sessions (sd of per-session differences / √sessions): is a gap at ~30 sessions noise?
 */
import * as fs from "fs";
import * as path from "path";
import { rankingMetrics } from "../src/evaluate";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { evaluateModels } from "../src/pipeline/evaluate";
import { prepareAsync } from "../src/pipeline/prepare";
import { PRIMARY_MODEL, trainModels } from "../src/pipeline/train";
import type { FeatureSet } from "../src/features";
import { recordingProgress, truthOfRun } from "./child";
import { ensureExport } from "./run";

const HEURISTIC = "prior_heuristic";

export interface SweepRun {
  size: number;
  seed: number;
  label: string;
  plays: number;
  testRows: number;
  featureCols: number;
  featuresCpuSeconds: number;
  lambda: number;
  bayesAuc: number | null;
  bayesAucVsTruth: number | null;
  /** Primary model (tfjs_logistic) and closed loop: test AUC and AUC vs truth. */
  auc: number | null;
  aucVsTruth: number | null;
  closedLoopAucVsTruth: number | null;
  leaks: string[];
  parityAucGap: number | null;
  parityCoefGap: number | null;
  sessions: number;
  ndcg5: number | null;
  ndcg5Heuristic: number | null;
  map5: number | null;
  map5Heuristic: number | null;
  /** Mean and SE over sessions of NDCG@5(model) − NDCG@5(heuristic), paired per session. */
  ndcg5Diff: number | null;
  ndcg5DiffSe: number | null;
}

/** NDCG@5 of each eligible test session (same rule as evaluate/ranking), by score array. */
function perSessionNdcg5(f: FeatureSet, scores: ArrayLike<number>[]): number[][] {
  const bySession = new Map<number, number[]>();
  for (let r = 0; r < f.rows; r++) {
    if (f.role[r] !== 2) continue;
    const s = f.sessionId[r];
    const list = bySession.get(s);
    if (list) list.push(r);
    else bySession.set(s, [r]);
  }
  const out: number[][] = scores.map(() => []);
  for (const rows of bySession.values()) {
    const y = rows.map((r) => f.y[r]);
    const sessionId = rows.map(() => 0);
    const values = scores.map((sc) => rankingMetrics({ sessionId, y, score: rows.map((r) => sc[r]) }, { ks: [5] }).metrics["ndcg@5"]?.value ?? null);
    if (values.every((v) => v !== null)) values.forEach((v, k) => out[k].push(v ?? NaN));
  }
  return out;
}

async function one(dir: string, size: number, seed: number, label: string): Promise<SweepRun> {
  const progress = recordingProgress();
  const prepared = await prepareAsync({ export: dir }, DEFAULT_PARAMS, progress);
  const run = await trainModels(prepared, DEFAULT_PARAMS);
  const f = prepared.features;
  const evaluation = evaluateModels(f, run);
  const truth = truthOfRun(dir, prepared, run);
  if (!truth) throw new Error(`${dir} has no TRUTH.csv`);
  const model = (name: string) => evaluation.models.find((m) => m.name === name);
  const primary = model(PRIMARY_MODEL);
  const heuristic = model(HEURISTIC);
  const scores = (name: string) => run.models.find((m) => m.name === name)?.calibrated;
  const sm = scores(PRIMARY_MODEL);
  const sh = scores(HEURISTIC);
  let ndcg5Diff: number | null = null;
  let ndcg5DiffSe: number | null = null;
  if (sm && sh) {
    const [a, b] = perSessionNdcg5(f, [sm, sh]);
    const d = a.map((v, k) => v - b[k]);
    const n = d.length;
    if (n > 1) {
      ndcg5Diff = d.reduce((s, v) => s + v, 0) / n;
      const mean = ndcg5Diff;
      ndcg5DiffSe = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) / n);
    }
  }
  return {
    size,
    seed,
    label,
    plays: prepared.ingest.report.rowsKept,
    testRows: evaluation.testRows,
    featureCols: f.cols,
    featuresCpuSeconds: progress.stages.find((s) => s.stage === "features")?.cpuSeconds ?? NaN,
    lambda: run.regularisation.l2,
    bayesAuc: truth.bayesAuc,
    bayesAucVsTruth: truth.bayesAucVsTruth,
    auc: truth.models[PRIMARY_MODEL]?.auc ?? null,
    aucVsTruth: truth.models[PRIMARY_MODEL]?.aucVsTruth ?? null,
    closedLoopAucVsTruth: truth.models["closed_loop_logistic"]?.aucVsTruth ?? null,
    leaks: truth.leaks,
    parityAucGap: evaluation.parity.difference,
    parityCoefGap: evaluation.parity.coefficientGap,
    sessions: primary?.ranking.eligibleSessions ?? 0,
    ndcg5: primary?.ranking.metrics["ndcg@5"]?.value ?? null,
    ndcg5Heuristic: heuristic?.ranking.metrics["ndcg@5"]?.value ?? null,
    map5: primary?.ranking.metrics["map@5"]?.value ?? null,
    map5Heuristic: heuristic?.ranking.metrics["map@5"]?.value ?? null,
    ndcg5Diff,
    ndcg5DiffSe,
  };
}

function readRuns(file: string): SweepRun[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SweepRun);
}

function meanSd(xs: number[], digits: number, exp = false): string {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return "—";
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const fmt = (x: number) => (exp ? x.toExponential(1) : x.toFixed(digits));
  return `${fmt(mean)} ± ${fmt(sd)}`;
}

interface Row {
  metric: string;
  get: (r: SweepRun) => number | null;
  digits?: number;
  exp?: boolean;
  /** Rendered as the largest value over seeds instead of mean ± SD. */
  max?: boolean;
}

const ROWS: Row[] = [
  { metric: "test rows", get: (r) => r.testRows, digits: 0 },
  { metric: "Bayes AUC (true p)", get: (r) => r.bayesAuc },
  { metric: "tfjs_logistic AUC", get: (r) => r.auc },
  { metric: "tfjs_logistic AUC vs truth", get: (r) => r.aucVsTruth },
  { metric: "Bayes AUC vs truth (ceiling)", get: (r) => r.bayesAucVsTruth },
  { metric: "parity Δ test AUC, abs", get: (r) => r.parityAucGap, exp: true },
  { metric: "parity Δ test AUC, abs (max over seeds)", get: (r) => r.parityAucGap, exp: true, max: true },
  { metric: "parity max abs Δ w (max over seeds)", get: (r) => r.parityCoefGap, exp: true, max: true },
  { metric: "test sessions ranked", get: (r) => r.sessions, digits: 0 },
  { metric: "NDCG@5 model", get: (r) => r.ndcg5 },
  { metric: "NDCG@5 heuristic", get: (r) => r.ndcg5Heuristic },
  { metric: "NDCG@5 model − heuristic", get: (r) => r.ndcg5Diff },
  { metric: "  its SE over sessions (mean)", get: (r) => r.ndcg5DiffSe },
  { metric: "MAP@5 model", get: (r) => r.map5 },
  { metric: "MAP@5 heuristic", get: (r) => r.map5Heuristic },
  { metric: "features stage CPU s (loaded machine)", get: (r) => r.featuresCpuSeconds, digits: 2 },
];

function cell(runs: SweepRun[], row: Row): string {
  const xs = runs.map((r) => row.get(r) ?? NaN);
  if (!runs.length) return "—";
  if (row.max) {
    const v = xs.filter((x) => Number.isFinite(x));
    return v.length ? Math.max(...v).toExponential(1) : "—";
  }
  return meanSd(xs, row.digits ?? 4, row.exp);
}

/** Markdown table: per size, one line per metric; columns before (optional) and after. */
export function sweepTable(after: SweepRun[], before: SweepRun[] | null, sizes: number[]): string[] {
  const seedsOf = (runs: SweepRun[], size: number) =>
    runs
      .filter((r) => r.size === size)
      .map((r) => r.seed)
      .sort((a, b) => a - b)
      .join(",");
  const head = before ? "| plays (seeds before / after) | metric | before | after |" : "| plays (seeds) | metric | value |";
  const lines = [head, before ? "| ---: | --- | ---: | ---: |" : "| ---: | --- | ---: |"];
  for (const size of sizes) {
    const a = after.filter((r) => r.size === size);
    const b = before?.filter((r) => r.size === size) ?? [];
    if (!a.length && !b.length) continue;
    const label = before ? `${size} (${seedsOf(before, size) || "—"} / ${seedsOf(after, size) || "—"})` : `${size} (${seedsOf(after, size)})`;
    ROWS.forEach((row, k) => {
      const first = k === 0 ? label : "";
      lines.push(before ? `| ${first} | ${row.metric} | ${cell(b, row)} | ${cell(a, row)} |` : `| ${first} | ${row.metric} | ${cell(a, row)} |`);
    });
    const leaks = (runs: SweepRun[]) => [...new Set(runs.flatMap((r) => r.leaks))].join(", ") || "none";
    lines.push(`|  | leak-free model beating Bayes by > 3 SE | ${before ? `${leaks(b)} | ` : ""}${leaks(a)} |`);
    const lambdas = (runs: SweepRun[]) => runs.map((r) => r.lambda).join(", ");
    lines.push(`|  | λ chosen, per seed | ${before ? `${lambdas(b)} | ` : ""}${lambdas(a)} |`);
  }
  return lines;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const sizes = arg("--sizes", "3000,30000,300000").split(",").map(Number);
  const seeds = arg("--seeds", "1,2,3,4,5").split(",").map(Number);
  const cacheDir = arg("--cache-dir", path.join(__dirname, "cache"));
  const label = arg("--label", "after");
  const runsFile = arg("--runs", path.join(cacheDir, `truth-sweep-${label}.jsonl`));
  const beforeFile = arg("--before", "");
  const out = arg("--out", "");
  const log = (s: string) => process.stderr.write(s + "\n");
  if (!args.includes("--table-only")) {
    fs.mkdirSync(path.dirname(runsFile), { recursive: true });
    for (const size of sizes) {
      for (const seed of seeds) {
        if (readRuns(runsFile).some((r) => r.size === size && r.seed === seed)) continue;
        const dir = ensureExport(size, seed, cacheDir, log);
        const r = await one(dir, size, seed, label);
        fs.appendFileSync(runsFile, JSON.stringify(r) + "\n");
        log(
          `${size} s${seed}: Bayes ${r.bayesAuc?.toFixed(4)}, tfjs ${r.auc?.toFixed(4)} (vs truth ${r.aucVsTruth?.toFixed(4)}), ` +
            `parity ${r.parityAucGap?.toExponential(1)} / ${r.parityCoefGap?.toExponential(1)}, NDCG@5 ${r.ndcg5?.toFixed(4)} vs ${r.ndcg5Heuristic?.toFixed(4)} ` +
            `(Δ ${r.ndcg5Diff?.toFixed(4)} ± ${r.ndcg5DiffSe?.toFixed(4)}, ${r.sessions} sessions), features CPU ${r.featuresCpuSeconds} s`,
        );
      }
    }
  }
  const after = readRuns(runsFile).filter((r) => sizes.includes(r.size));
  const before = beforeFile ? readRuns(beforeFile).filter((r) => sizes.includes(r.size)) : null;
  const text = sweepTable(after, before, sizes).join("\n") + "\n";
  if (out) fs.writeFileSync(out, text);
  process.stdout.write(text);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`truth sweep failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
