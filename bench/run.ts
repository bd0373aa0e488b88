/**
 * Lifetime-scale benchmark (`npm run bench`): writes exports of 100k / 300k / 1M plays with
 * the project's own generator (cached under bench/cache/, git-ignored), runs the whole
 * pipeline on each in a fresh process (bench/child.ts: the CLI's `runPipeline`, all models,
 * all outputs and figures), and records per-stage wall time and the process's peak RSS.
 * Writes bench/results.json and bench/results.md and prints the table.
 *
 *   npm run bench                               # 30k, 100k, 200k, 300k, 1M
 *   npm run bench -- --sizes 100000,300000      # a subset
 *   npm run bench -- --profile                  # also write a --cpu-prof per run to bench/cache/profiles/
 *   npm run bench -- --gc-between-stages        # diagnostic: full GC before each stage (live peak RSS)
 *   npm run bench -- --smoke                    # tiny export in a temp dir, results not kept (tests)
 *
 * Timings are noisy (2 cores, shared machine): not part of `npm test`, which only runs --smoke.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ChildResult } from "./child";
import { runNotebooksBench } from "./notebooks";
import type { NotebooksRun } from "./notebooks";

export interface BenchOptions {
  sizes: number[];
  /** Generator seed (the export), not the pipeline seed. */
  seed: number;
  cacheDir: string;
  outDir: string;
  profile: boolean;
  /** Diagnostic: node --expose-gc and a full GC before every stage (live rather than allocated peak). */
  gcBetweenStages?: boolean;
  /** Also run every notebook on each export (the notebooks row). */
  notebooks?: boolean;
  log: (line: string) => void;
}

export interface BenchRun extends ChildResult {
  size: number;
  /** Spawn → exit of the child: Node + tsx start-up, imports, the pipeline, exit; less the child's `benchOnlySeconds`. */
  endToEndSeconds: number;
  /** The notebooks on the same export (`--notebooks`). */
  notebooks?: NotebooksRun;
  /** 1-minute load average when the child started and when it ended (the machine is shared: wall times are noisy). */
  loadAvg?: { before: number; after: number };
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; totalMemGb: number; node: string; loadAvg: number[] };
  runs: BenchRun[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  limit: string;
  measured: string;
  met: boolean | null;
}

const ROOT = path.resolve(__dirname, "..");

/** Writes (once) the generated export for `plays` and returns its folder. */
export function ensureExport(plays: number, seed: number, cacheDir: string, log: (s: string) => void): string {
  const dir = path.join(cacheDir, `export-${plays}-s${seed}`);
  if (fs.existsSync(path.join(dir, "MANIFEST.json"))) return dir;
  log(`generating ${plays} plays (seed ${seed}) → ${dir}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/make-sample.ts"), "--out", dir, "--plays", String(plays), "--seed", String(seed)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`make-sample failed for ${plays} plays (exit ${r.status})`);
  return dir;
}

/**
 * glibc's malloc tunable the CLI and the notebooks start with (package.json's pipeline, start,
 * notebooks and bench scripts, unless GLIBC_TUNABLES is already set, even empty; the kernel
 * spec's env): big arrays in transparent huge pages, mapped ~8× faster than in 4 KiB pages on
 * the bench machine (a fresh 200 MB array 647 → 79 ms), for a 1M run's peak up to ~180 MB
 * higher (bench/README.md, twentieth pass). Ignored where glibc is older than 2.35, or absent.
 */
export const MALLOC_TUNABLES = "glibc.malloc.hugetlb=1";

function runChild(exportDir: string, outputDir: string, profileDir: string | null, gc: boolean, log: (s: string) => void): Promise<BenchRun> {
  // The CLI's start path (`npm run pipeline`): its malloc tunable, scripts/preload.cjs, then tsx's CommonJS hook.
  const nodeArgs = ["-r", path.join(ROOT, "scripts", "preload.cjs"), "-r", "tsx/cjs"];
  if (profileDir) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", profileDir);
  if (gc) nodeArgs.push("--expose-gc");
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, "child.ts"), "--export", exportDir, "--output-dir", outputDir, ...(gc ? ["--gc-between-stages"] : [])], {
      cwd: ROOT,
      env: { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? MALLOC_TUNABLES },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => String(d).split("\n").filter(Boolean).forEach((l) => log(l)));
    child.on("error", reject);
    child.on("close", (code) => {
      const endToEndSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`bench child exited ${code} on ${exportDir}`));
      const line = stdout.trim().split("\n").pop() ?? "";
      const result = JSON.parse(line) as ChildResult;
      // The bench's own bookkeeping after the pipeline is no part of a CLI run.
      const cliSeconds = endToEndSeconds - (result.benchOnlySeconds ?? 0);
      resolve({ ...result, size: 0, endToEndSeconds: Math.round(cliSeconds * 1000) / 1000 });
    });
  });
}

const fmt = (x: number, d = 2) => x.toFixed(d);
const stageSeconds = (run: BenchRun, stage: string) => run.stages.find((s) => s.stage === stage)?.seconds ?? NaN;

/** End-to-end targets of the speed issue (fresh process, the CLI's start path). */
export const END_TO_END_TARGETS: { plays: number; seconds: number }[] = [
  { plays: 30_000, seconds: 2 },
  { plays: 200_000, seconds: 3.5 },
  { plays: 1_000_000, seconds: 12 },
];

export function checkTargets(runs: BenchRun[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const big = runs.find((r) => r.size === 1_000_000) ?? null;
  const largest = runs.reduce<BenchRun | null>((a, r) => (!a || r.size > a.size ? r : a), null);
  for (const t of END_TO_END_TARGETS) {
    const r = runs.find((x) => x.size === t.plays);
    if (r) checks.push({ target: `${t.plays / 1000}k plays end to end`, limit: `≤ ${t.seconds} s`, measured: `${fmt(r.endToEndSeconds, 1)} s (CPU ${fmt(r.processCpuSeconds, 1)} s)`, met: r.endToEndSeconds <= t.seconds });
  }
  if (big) checks.push({ target: "1M plays peak RSS", limit: "≤ 1536 MB", measured: `${Math.round(big.peakRssMb)} MB`, met: big.peakRssMb <= 1536 });
  const bySize = runs.slice().sort((a, b) => a.size - b.size);
  if (bySize.length > 1) {
    const perPlay = bySize.map((r) => (r.processCpuSeconds * 1e6) / r.plays);
    const falling = perPlay.every((v, k) => k === 0 || v <= perPlay[k - 1]);
    checks.push({ target: "CPU µs per play falls with size", limit: "each size ≤ the smaller one", measured: perPlay.map((v) => fmt(v, 0)).join(" → "), met: falling });
  }
  for (const r of runs.filter((x) => x.notebooks)) {
    const n = r.notebooks!;
    const k = `${r.size / 1000}k`;
    checks.push({ target: `all notebooks vs CLI (${k})`, limit: "≤ 1.3×", measured: `${fmt(n.seconds / r.endToEndSeconds)}×`, met: n.seconds / r.endToEndSeconds <= 1.3 });
    if (n.peakRssMb !== null) checks.push({ target: `notebook kernel peak RSS (${k})`, limit: "≤ 2048 MB", measured: `${n.peakRssMb} MB`, met: n.peakRssMb <= 2048 });
    const later = n.notebooks.filter((x) => x.notebook >= "02" && x.firstDataCellSeconds !== null);
    if (later.length) {
      const worst = later.reduce((a, b) => (b.firstDataCellSeconds! > a.firstDataCellSeconds! ? b : a));
      checks.push({ target: `first data cell, 02 on (${k})`, limit: "≤ 2 s", measured: `${fmt(worst.firstDataCellSeconds!)} s (${worst.notebook})`, met: worst.firstDataCellSeconds! <= 2 });
    }
  }
  for (const r of largest ? [largest] : []) {
    const rate = r.inputBytes / 1e6 / stageSeconds(r, "ingest");
    checks.push({ target: `ingestion (${r.size / 1000}k)`, limit: "≥ 150 MB/s", measured: `${fmt(rate, 0)} MB/s`, met: rate >= 150 });
    const perM = (stageSeconds(r, "features") * 1e6) / r.plays;
    checks.push({ target: `features (${r.size / 1000}k)`, limit: "≤ 2 s per 1M plays", measured: `${fmt(perM)} s per 1M`, met: perM <= 2 });
    const tf = stageSeconds(r, "tfjs_logistic");
    checks.push({ target: `tfjs_logistic training (${r.size / 1000}k)`, limit: "a few seconds (≤ 5 s)", measured: `${fmt(tf, 1)} s`, met: tf <= 5 });
  }
  return checks;
}

export function markdownTable(results: BenchResults): string {
  const runs = results.runs;
  const stages = runs[0]?.stages.map((s) => s.stage) ?? [];
  const head = ["stage", ...runs.map((r) => `${r.size >= 1e6 ? r.size / 1e6 + "M" : r.size / 1e3 + "k"} plays`)];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i ? " ---: " : " --- ")).join("|")}|`];
  const row = (label: string, cells: string[]) => lines.push(`| ${label} | ${cells.join(" | ")} |`);
  row("export JSON", runs.map((r) => `${fmt(r.inputBytes / 1e6, 0)} MB`));
  row("feature rows × cols", runs.map((r) => `${r.featureRows} × ${r.featureCols}`));
  for (const s of stages) row(`${s} (s)`, runs.map((r) => `${fmt(stageSeconds(r, s))} (${fmt(r.stages.find((x) => x.stage === s)?.cpuSeconds ?? NaN)})`));
  row("λ selection, between features and the first model (s)", runs.map((r) => (r.l2SelectionSeconds === undefined ? "—" : fmt(r.l2SelectionSeconds))));
  row("start-up: process start → pipeline start (s)", runs.map((r) => (r.startup ? `${fmt(r.startup.seconds)} (${fmt(r.startup.cpuSeconds)})` : "—")));
  row("**pipeline (s)**", runs.map((r) => `**${fmt(r.pipelineSeconds)}**`));
  row("**end to end, fresh process (s)**", runs.map((r) => `**${fmt(r.endToEndSeconds)}**`));
  row("process CPU (s)", runs.map((r) => fmt(r.processCpuSeconds)));
  row("load average before / after the run (1 min)", runs.map((r) => (r.loadAvg ? `${fmt(r.loadAvg.before, 1)} / ${fmt(r.loadAvg.after, 1)}` : "—")));
  row("µs per play (pipeline)", runs.map((r) => fmt((r.pipelineSeconds * 1e6) / r.plays, 1)));
  row("ingest MB/s", runs.map((r) => fmt(r.inputBytes / 1e6 / stageSeconds(r, "ingest"), 0)));
  row("**peak RSS (MB)**", runs.map((r) => `**${Math.round(r.peakRssMb)}**`));
  row("peak RSS after ingest / features (MB)", runs.map((r) => `${Math.round(r.stages.find((s) => s.stage === "ingest")?.peakRssMb ?? NaN)} / ${Math.round(r.stages.find((s) => s.stage === "features")?.peakRssMb ?? NaN)}`));
  row("test AUC tfjs / closed loop", runs.map((r) => `${fmt(r.auc.tfjs_logistic ?? NaN, 4)} / ${fmt(r.auc.closed_loop_logistic ?? NaN, 4)}`));
  row("test AUC mlp / leaky", runs.map((r) => `${fmt(r.auc.tfjs_mlp ?? NaN, 4)} / ${fmt(r.auc.leaky_reference ?? NaN, 4)}`));
  const truth = (r: BenchRun, model: string) => r.truth?.models[model];
  row("Bayes AUC: true p on the test rows (vs truth)", runs.map((r) => (r.truth ? `${fmt(r.truth.bayesAuc ?? NaN, 4)} (${fmt(r.truth.bayesAucVsTruth ?? NaN, 4)})` : "—")));
  for (const model of ["tfjs_logistic", "closed_loop_logistic", "tfjs_mlp", "prior_heuristic"]) {
    row(`${model} AUC − Bayes ± SE (AUC vs truth)`, runs.map((r) => {
      const t = truth(r, model);
      return t ? `${fmt(t.gapToBayes ?? NaN, 4)} ± ${fmt(t.gapSe ?? NaN, 4)} (${fmt(t.aucVsTruth ?? NaN, 4)})` : "—";
    }));
  }
  row("models beating Bayes (leaks; leaky_reference exempt)", runs.map((r) => (r.truth ? r.truth.leaks.join(", ") || "none" : "—")));
  row("tfjs epochs (best)", runs.map((r) => (r.tfjsLogistic ? `${r.tfjsLogistic.epochsRun} (${r.tfjsLogistic.bestEpoch})` : "—")));
  row("mlp epochs (best), train rows used / given", runs.map((r) => {
    const h = r.tfjsMlp;
    if (!h) return "—";
    return `${h.epochsRun} (${h.bestEpoch})${h.stoppedByBudget ? " budget" : ""}, ${h.trainRows ?? "?"} / ${h.trainRowsGiven ?? h.trainRows ?? "?"}`;
  }));
  row("closed-loop iterations", runs.map((r) => String(r.closedLoop.iterations)));
  if (runs.some((r) => r.notebooks)) {
    const nb = (r: BenchRun, f: (n: NotebooksRun) => string) => (r.notebooks ? f(r.notebooks) : "—");
    row("**notebooks, all (s)**", runs.map((r) => nb(r, (n) => `**${fmt(n.seconds)}**`)));
    row("notebooks ÷ CLI end to end", runs.map((r) => nb(r, (n) => `${fmt(n.seconds / r.endToEndSeconds)}×`)));
    row("notebook kernel peak RSS, max (MB)", runs.map((r) => nb(r, (n) => String(n.peakRssMb ?? "?"))));
    for (const name of runs.find((r) => r.notebooks)!.notebooks!.notebooks.map((n) => n.notebook)) {
      row(`${name.replace(/\.ipynb$/, "")}: s (first data cell s)`, runs.map((r) => nb(r, (n) => {
        const t = n.notebooks.find((x) => x.notebook === name);
        return t ? `${fmt(t.seconds, 1)} (${t.firstDataCellSeconds === null ? "?" : fmt(t.firstDataCellSeconds)})` : "—";
      })));
    }
  }
  const m = results.machine;
  const targets = results.targets.length
    ? ["", "| target | limit | measured | met |", "| --- | --- | --- | --- |", ...results.targets.map((t) => `| ${t.target} | ${t.limit} | ${t.measured} | ${t.met === null ? "—" : t.met ? "yes" : "**no**"} |`)]
    : [];
  return [
    "Stage cells: wall seconds (CPU seconds of the process in the stage, in brackets).",
    "",
    `Benchmark ${results.date}: ${m.cpus} × ${m.cpuModel}, ${m.totalMemGb} GB, Node ${m.node}, tfjs backend ${runs[0]?.backend ?? "?"}, load average at start ${m.loadAvg.map((x) => x.toFixed(2)).join(" ")}.`,
    "",
    ...lines,
    ...targets,
    "",
  ].join("\n");
}

export async function bench(options: BenchOptions): Promise<BenchResults> {
  const { sizes, seed, cacheDir, outDir, profile, log } = options;
  fs.mkdirSync(cacheDir, { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "?",
    totalMemGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAvg: os.loadavg(),
  };
  const exports = sizes.map((n) => ensureExport(n, seed, cacheDir, log));
  const runs: BenchRun[] = [];
  for (let k = 0; k < sizes.length; k++) {
    const outputDir = path.join(cacheDir, `outputs-${sizes[k]}`);
    const profileDir = profile ? path.join(cacheDir, "profiles") : null;
    log(`running the pipeline on ${sizes[k]} plays (${exports[k]})`);
    const before = os.loadavg()[0];
    const run = await runChild(exports[k], outputDir, profileDir, options.gcBetweenStages === true, log);
    run.loadAvg = { before, after: os.loadavg()[0] };
    log(`  → ${fmt(run.endToEndSeconds)} s end to end (CPU ${fmt(run.processCpuSeconds)} s), peak RSS ${Math.round(run.peakRssMb)} MB, load ${fmt(run.loadAvg.before, 1)} → ${fmt(run.loadAvg.after, 1)}`);
    let notebooks: NotebooksRun | undefined;
    if (options.notebooks) {
      log(`running every notebook on ${sizes[k]} plays`);
      notebooks = runNotebooksBench(exports[k], path.join(cacheDir, `notebook-outputs-${sizes[k]}`), log);
      log(`  → ${fmt(notebooks.seconds)} s, ${fmt(notebooks.seconds / run.endToEndSeconds)}× the CLI`);
    }
    runs.push({ ...run, size: sizes[k], notebooks });
  }
  const results: BenchResults = { date: new Date().toISOString(), machine, runs, targets: checkTargets(runs) };
  fs.mkdirSync(outDir, { recursive: true });
  // Paths relative to the project, so the committed results name no home folder.
  const json = JSON.stringify(results, null, 2).split(path.resolve(__dirname, "..") + path.sep).join("");
  fs.writeFileSync(path.join(outDir, "results.json"), json + "\n");
  fs.writeFileSync(path.join(outDir, "results.md"), markdownTable(results));
  return results;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const smoke = args.includes("--smoke");
  const tmp = smoke ? fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-")) : null;
  const sizes = (arg("--sizes") ?? (smoke ? "3000" : "30000,100000,200000,300000,1000000")).split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error("--sizes takes comma-separated positive integers");
  const results = await bench({
    sizes,
    seed: Number(arg("--seed") ?? 1),
    cacheDir: tmp ?? arg("--cache-dir") ?? path.join(__dirname, "cache"),
    outDir: tmp ?? arg("--out-dir") ?? __dirname,
    profile: args.includes("--profile"),
    gcBetweenStages: args.includes("--gc-between-stages"),
    notebooks: args.includes("--notebooks"),
    log: (line) => process.stderr.write(line + "\n"),
  });
  process.stdout.write(markdownTable(results));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
