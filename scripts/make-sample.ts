/**
 * Regenerates the committed synthetic export (same bytes on every run):
 *   npx tsx scripts/make-sample.ts [--out data-sample] [--plays N] [--seed S] [--tech-naming plain|hourly]
 *       [--start YYYY-MM-DD] [--years Y] [--no-pii]
 * Non-default options are for benchmarks/tests: write those outside the repo.
 */
import * as path from "path";
import { Command, InvalidArgumentError } from "commander";
import { SAMPLE_DEFAULTS } from "../src/sample/generate";
import { writeSample } from "../src/sample/write-sample";

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

const program = new Command()
  .name("make-sample")
  .option("--out <dir>", "output folder (wiped first)", "data-sample")
  .option("--plays <n>", "music plays", int, SAMPLE_DEFAULTS.musicPlays)
  .option("--seed <s>", "PRNG seed", int, SAMPLE_DEFAULTS.seed)
  .option("--tech-naming <naming>", "plain (ConnectionError.json) or hourly (ConnectionError_Hourly.json)", "plain")
  .option("--start <date>", "first day, YYYY-MM-DD (default depends on --plays)")
  .option("--years <y>", "nominal span in years", (v) => Number(v))
  .option("--no-pii", "write nulls instead of the planted personal data")
  .parse();

const o = program.opts<{ out: string; plays: number; seed: number; techNaming: string; start?: string; years?: number; pii: boolean }>();
if (o.techNaming !== "plain" && o.techNaming !== "hourly") {
  console.error("--tech-naming must be plain or hourly");
  process.exit(2);
}
const outDir = path.resolve(o.out);
const t0 = Date.now();
const m = writeSample({
  outDir,
  seed: o.seed,
  musicPlays: o.plays,
  techNaming: o.techNaming,
  startDate: o.start,
  years: o.years,
  pii: o.pii,
});
const secs = ((Date.now() - t0) / 1000).toFixed(1);
console.log(
  `wrote ${outDir} in ${secs}s: ${m.extended.recordsInFiles} extended records (${m.extended.musicPlays} music plays, ` +
    `${m.extended.labelled} labelled, completion ${m.signal.completionRate}), ${m.extended.dateRange.first.slice(0, 10)}..${m.extended.dateRange.last.slice(0, 10)}`,
);
