/**
 * The pipeline CLI:
 *   npm run pipeline -- --export PATH --output-dir outputs
 *   npm run pipeline -- --account-dir A --extended-dir E --tech-dir T --output-dir O   (the original flags)
 * Progress per stage on stderr, a one-line summary at the end; exit 0 on success,
 * 1 with a one-paragraph message on bad input (never a stack trace), 2 on an internal error.
 */
import { Command, InvalidArgumentError } from "commander";
import { isUserInputError } from "../common/errors";
import { DEFAULT_PARAMS } from "../pipeline/params";
import { cacheEnabledByEnv } from "../pipeline/cache";
import { PIPELINE_STAGES, runPipeline } from "../pipeline/run";
import { stderrProgress } from "./progress";

function fraction(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0 || x >= 1) throw new InvalidArgumentError("must be a number between 0 and 1");
  return x;
}

function integer(value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x)) throw new InvalidArgumentError("must be an integer");
  return x;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("pipeline")
    .description("Ingest a Spotify export, model which plays are finished, rank recommendations, write the standard outputs.")
    .option("--export <path>", "a folder holding the export packages, or the downloaded zip")
    .option("--account-dir <dir>", "the Account Data package folder")
    .option("--extended-dir <dir>", "the Extended Streaming History package folder")
    .option("--tech-dir <dir>", "the Technical Log Information package folder")
    .option("--output-dir <dir>", "where to write the outputs", "outputs")
    .option("--seed <n>", "seed for every random choice", integer, DEFAULT_PARAMS.seed)
    .option("--test-fraction <x>", "share of labelled plays (latest by start time) held out for testing", fraction, DEFAULT_PARAMS.testFraction)
    .option("--validation-fraction <x>", "share of the training window used for early stopping and calibration", fraction, DEFAULT_PARAMS.validationFraction)
    .option("--timezone <zone>", "IANA time zone for local-time features (default: from the profile country)")
    .option("--top-n <n>", "length of the recommendation list", integer, DEFAULT_PARAMS.topN)
    .option("--lenient", "skip a broken file with a warning instead of stopping", false)
    .option("--backtest [folds]", "also run a rolling-origin backtest over this many cut points (default 3)", integer)
    .option("--fold-fraction <x>", "share of labelled plays in each backtest test block", fraction, 0.1)
    .option("--no-cache", "recompute ingestion and features instead of loading them from OUTPUT_DIR/cache/ (also CACHE=0)")
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 1;
  }
  const o = program.opts<{
    export?: string; accountDir?: string; extendedDir?: string; techDir?: string; outputDir: string;
    seed: number; testFraction: number; validationFraction: number; timezone?: string; topN: number; lenient: boolean;
    backtest?: number | true; foldFraction: number; cache: boolean;
  }>();
  const backtest = o.backtest === undefined ? undefined : { folds: o.backtest === true ? 3 : o.backtest, foldFraction: o.foldFraction };
  if (backtest && backtest.folds < 1) {
    process.stderr.write("error: --backtest needs at least 1 fold.\n");
    return 1;
  }
  if (!o.export && !o.accountDir && !o.extendedDir && !o.techDir) {
    process.stderr.write("error: give --export PATH (a folder or the zip), or --account-dir / --extended-dir / --tech-dir. See --help.\n");
    return 1;
  }
  const stages = [...PIPELINE_STAGES];
  if (backtest) for (let k = 1; k <= backtest.folds; k++) stages.splice(stages.indexOf("outputs"), 0, `backtest fold ${k}/${backtest.folds}`);
  const progress = stderrProgress(stages);
  try {
    const outcome = await runPipeline(
      { export: o.export, accountDir: o.accountDir, extendedDir: o.extendedDir, techDir: o.techDir, lenient: o.lenient },
      o.outputDir,
      { seed: o.seed, testFraction: o.testFraction, validationFraction: o.validationFraction, timezone: o.timezone, topN: o.topN },
      progress,
      { backtest, cache: { enabled: o.cache && cacheEnabledByEnv(), log: (m) => process.stderr.write(`${m}\n`) } },
    );
    progress.stop();
    const { evaluation, hitRate, prepared } = outcome.results;
    const auc = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
    for (const warning of prepared.ingest.report.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(
      `${prepared.ingest.report.rowsKept} plays → ${evaluation.testRows} test plays; tfjs AUC ${auc(evaluation.parity.tfjsAuc)}, ` +
        `closed-loop AUC ${auc(evaluation.parity.closedLoopAuc)}; top-${hitRate.n} recall ${auc(hitRate.model.recall.value)}; ` +
        `${outcome.written.length} outputs + ${outcome.figures.written.length} figures in ${o.outputDir}\n`,
    );
    return 0;
  } catch (error) {
    progress.stop();
    if (isUserInputError(error)) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`internal error (please report it): ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
