/**
 * One benchmark run, in its own process (so `maxRSS` is this export's peak alone):
 *   node --import tsx bench/child.ts --export DIR --output-dir DIR [--seed N]
 * Runs the same `runPipeline` the CLI runs, with a Progress that records each stage's wall
 * time and the RSS seen so far, and prints one JSON line (ChildResult) on stdout.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { PIPELINE_STAGES, runPipeline } from "../src/pipeline/run";
import type { Progress } from "../src/pipeline/progress";
import type { Prepared } from "../src/pipeline/prepare";
import type { ModelRun } from "../src/pipeline/train";
import { readTruth, truthMetrics } from "../src/sample/truth";
import type { TruthMetrics } from "../src/sample/truth";

export interface StageTiming {
  stage: string;
  seconds: number;
  /** CPU seconds (user + system) the process used in the stage: less sensitive to a shared machine's load than wall time. */
  cpuSeconds: number;
  /** process.resourceUsage().maxRSS at the end of the stage, in MB (monotonic). */
  peakRssMb: number;
  /** Current RSS at the end of the stage, in MB. */
  rssMb: number;
  summary: string;
}

export interface HistorySummary {
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  batchSize?: number;
  trainRows?: number;
  trainRowsGiven?: number;
  stoppedByBudget?: boolean;
}

export interface ChildResult {
  exportDir: string;
  /** Bytes of every .json file in the export (what ingestion parses). */
  inputBytes: number;
  plays: number;
  featureRows: number;
  featureCols: number;
  stages: StageTiming[];
  /** runPipeline wall time (excludes Node/tsx start-up and module loading). */
  pipelineSeconds: number;
  /** From process start (includes start-up and imports). */
  processSeconds: number;
  /** CPU seconds of the whole process (user + system, all threads). */
  processCpuSeconds: number;
  peakRssMb: number;
  backend: string;
  auc: Record<string, number | null>;
  trainSeconds: Record<string, number>;
  tfjsLogistic: HistorySummary | null;
  tfjsMlp: HistorySummary | null;
  closedLoop: { iterations: number; converged: boolean; seconds: number };
  /** Process start → `runPipeline` called: Node, the fast-start preload, tsx, module loading (CPU in brackets in the table). */
  startup: { seconds: number; cpuSeconds: number };
  /** The λ selection's wall seconds (inside trainModels, before the first model stage; in no stage row). */
  l2SelectionSeconds: number;
  parity: { difference: number | null; agree: boolean | null };
  /** Test AUCs against the generator's TRUTH.csv (src/sample/truth.ts); null for an export without one. */
  truth: TruthMetrics | null;
  /**
   * Seconds this process spent after the pipeline on the bench's own bookkeeping (scoring against
   * TRUTH.csv, counting the export's bytes: 4 s at 1M plays), which a CLI run does not do; the
   * parent takes them out of the end-to-end time.
   */
  benchOnlySeconds: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const peakMb = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

export function jsonBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += jsonBytes(p);
    else if (entry.name.endsWith(".json")) total += fs.statSync(p).size;
  }
  return total;
}

/**
 * @param gcBetweenStages collect garbage before each stage (needs node --expose-gc): then
 * `peakRssMb` approximates the LIVE peak rather than live + not-yet-collected buffers.
 */
export function recordingProgress(log?: (line: string) => void, gcBetweenStages = false): Progress & { stages: StageTiming[] } {
  const started = new Map<string, bigint>();
  const cpuAt = new Map<string, NodeJS.CpuUsage>();
  const stages: StageTiming[] = [];
  return {
    stages,
    start(stage) {
      if (gcBetweenStages) (globalThis as { gc?: () => void }).gc?.();
      cpuAt.set(stage, process.cpuUsage());
      started.set(stage, process.hrtime.bigint());
    },
    update() {},
    done(stage, summary = "") {
      const t0 = started.get(stage) ?? process.hrtime.bigint();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpuAt.get(stage));
      const cpuSeconds = Math.round((cpu.user + cpu.system) / 1000) / 1000;
      const row = { stage, seconds: Math.round(seconds * 1000) / 1000, cpuSeconds, peakRssMb: peakMb(), rssMb: mb(process.memoryUsage().rss), summary };
      stages.push(row);
      log?.(`  ${stage}: ${row.seconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s), peak RSS ${row.peakRssMb} MB — ${summary}`);
    },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const exportDir = arg("--export");
  const outputDir = arg("--output-dir");
  if (!exportDir || !outputDir) throw new Error("usage: bench/child.ts --export DIR --output-dir DIR [--seed N]");
  const seed = arg("--seed") !== undefined ? Number(arg("--seed")) : DEFAULT_PARAMS.seed;
  const startupCpu = process.cpuUsage();
  const startup = { seconds: Math.round(process.uptime() * 1000) / 1000, cpuSeconds: Math.round((startupCpu.user + startupCpu.system) / 1000) / 1000 };
  const progress = recordingProgress((line) => process.stderr.write(line + "\n"), args.includes("--gc-between-stages"));
  const t0 = process.hrtime.bigint();
  const outcome = await runPipeline({ export: exportDir }, outputDir, { ...DEFAULT_PARAMS, seed }, progress);
  const pipelineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const { results } = outcome;
  const processSeconds = Math.round(process.uptime() * 1000) / 1000;
  const processCpu = process.cpuUsage();
  const peakRssMb = peakMb();
  const bookkeeping = process.hrtime.bigint();
  const truth = truthOfRun(exportDir, results.prepared, results.run);
  const inputBytes = jsonBytes(exportDir);
  const hist = (h: typeof results.run.histories.tfjs_logistic) =>
    h ? { epochsRun: h.epochsRun, bestEpoch: h.bestEpoch, stoppedEarly: h.stoppedEarly, ...pickExtras(h) } : null;
  const out: ChildResult = {
    exportDir,
    inputBytes,
    plays: results.prepared.ingest.report.rowsKept,
    featureRows: results.prepared.features.rows,
    featureCols: results.prepared.features.cols,
    stages: progress.stages,
    pipelineSeconds: Math.round(pipelineSeconds * 1000) / 1000,
    processSeconds,
    processCpuSeconds: Math.round((processCpu.user + processCpu.system) / 1000) / 1000,
    peakRssMb,
    backend: results.run.backend.name,
    auc: Object.fromEntries(results.evaluation.comparison.map((r) => [r.model, r.test_auc])),
    trainSeconds: Object.fromEntries(results.run.models.map((m) => [m.name, m.trainSeconds])),
    tfjsLogistic: hist(results.run.histories.tfjs_logistic),
    tfjsMlp: hist(results.run.histories.tfjs_mlp),
    closedLoop: {
      iterations: results.run.histories.closed_loop_logistic.iterations,
      converged: results.run.histories.closed_loop_logistic.converged,
      seconds: results.run.histories.closed_loop_logistic.seconds,
    },
    startup,
    l2SelectionSeconds: results.run.regularisation.seconds,
    parity: { difference: results.evaluation.parity.difference, agree: results.evaluation.parity.agree },
    truth,
    benchOnlySeconds: Math.round(Number(process.hrtime.bigint() - bookkeeping) / 1e6) / 1000,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

/**
 * A run's test rows scored against the export's planted truth (calibrated scores, as evaluation
 * uses; non-deployable models are the designed leaks, exempt). Null for an export without TRUTH.csv.
 */
export function truthOfRun(exportDir: string, prepared: Pick<Prepared, "ingest" | "features">, run: Pick<ModelRun, "models">): TruthMetrics | null {
  const truth = readTruth(exportDir);
  if (!truth) return null;
  const f = prepared.features;
  return truthMetrics(truth, {
    plays: prepared.ingest.plays,
    playIndex: f.playIndex,
    role: f.role,
    y: f.y,
    scores: Object.fromEntries(run.models.map((m) => [m.name, m.calibrated])),
    exempt: run.models.filter((m) => !m.deployable).map((m) => m.name),
  });
}

/** Optional fields a newer TfjsHistory may carry (batch size, training subsample). */
function pickExtras(h: object): Record<string, unknown> {
  const o = h as Record<string, unknown>;
  const extras: Record<string, unknown> = {};
  for (const k of ["batchSize", "trainRows", "trainRowsGiven", "stoppedByBudget", "stoppedByTimeBudget"]) if (o[k] !== undefined) extras[k] = o[k];
  return extras;
}

export const STAGES = PIPELINE_STAGES;

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  });
}
