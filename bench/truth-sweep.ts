/**
 * AUC against the generator's planted truth across seeds and sizes (src/sample/truth.ts):
 *   npx tsx bench/truth-sweep.ts [--sizes 3000,30000,300000] [--seeds 1,2,3,4,5] [--cache-dir bench/cache] [--out bench/truth-sweep.md]
 * For each export: ingest → features → every model (the pipeline's own stages, no outputs),
 * then the Bayes AUC (true p on the test rows), each model's AUC − Bayes and its AUC vs the
 * truth. Prints and writes a table of mean ± sample SD over the seeds.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepareAsync } from "../src/pipeline/prepare";
import { trainModels } from "../src/pipeline/train";
import type { TruthMetrics } from "../src/sample/truth";
import { truthOfRun } from "./child";
import { ensureExport } from "./run";

const MODELS = ["tfjs_logistic", "closed_loop_logistic", "tfjs_mlp", "prior_heuristic", "popularity", "leaky_reference"];

async function one(dir: string): Promise<TruthMetrics> {
  const prepared = await prepareAsync({ export: dir }, DEFAULT_PARAMS);
  const run = await trainModels(prepared, DEFAULT_PARAMS);
  const m = truthOfRun(dir, prepared, run);
  if (!m) throw new Error(`${dir} has no TRUTH.csv`);
  return m;
}

function meanSd(xs: number[]): string {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return `${mean.toFixed(4)} ± ${sd.toFixed(4)}`;
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
  const out = arg("--out", path.join(__dirname, "truth-sweep.md"));
  const log = (s: string) => process.stderr.write(s + "\n");
  const lines = [
    `AUC against the planted truth (src/sample/truth.ts), mean ± SD over generator seeds ${seeds.join(", ")}; default pipeline parameters.`,
    "Bayes: the true probabilities' AUC on the same test rows. Gap: model AUC − Bayes (negative = below the ceiling). vs truth: the AUC of",
    "the model's ranking against the true probabilities instead of the drawn labels.",
    "",
    `| plays | test rows | Bayes AUC | Bayes vs truth | ${MODELS.map((m) => `${m} AUC | ${m} gap | ${m} vs truth`).join(" | ")} | leaks |`,
    `|${" ---: |".repeat(4 + MODELS.length * 3)} --- |`,
  ];
  for (const size of sizes) {
    const ms: TruthMetrics[] = [];
    for (const seed of seeds) {
      const dir = ensureExport(size, seed, cacheDir, log);
      const m = await one(dir);
      log(`${size} s${seed}: Bayes ${m.bayesAuc?.toFixed(4)}, tfjs ${m.models.tfjs_logistic?.auc?.toFixed(4)}, leaks ${m.leaks.join(",") || "none"}`);
      ms.push(m);
    }
    const col = (f: (m: TruthMetrics) => number | null | undefined) => meanSd(ms.map((m) => f(m) ?? NaN));
    const cells = [String(size), col((m) => m.testRows), col((m) => m.bayesAuc), col((m) => m.bayesAucVsTruth)];
    for (const name of MODELS) {
      cells.push(col((m) => m.models[name]?.auc), col((m) => m.models[name]?.gapToBayes), col((m) => m.models[name]?.aucVsTruth));
    }
    const leaks = [...new Set(ms.flatMap((m) => m.leaks))];
    cells.push(leaks.join(", ") || "none");
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const text = lines.join("\n") + "\n";
  fs.writeFileSync(out, text);
  process.stdout.write(text);
}

main().catch((error) => {
  process.stderr.write(`truth sweep failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
