/**
 * The pipeline CLI:
 *   npm run pipeline -- --export PATH --output-dir outputs
 *   npm run pipeline -- --account-dir A --extended-dir E --tech-dir T --output-dir O   (the original flags)
 * Every option is validated before any work (pipeline/params: the same checks as the
 * notebooks' parameters). Progress per stage on stderr, a one-line summary at the end; exit 0
 * on success, 1 with a one-paragraph message on bad input (never a stack trace), 2 on an
 * internal error. Ctrl-C / SIGTERM stop it at once: the output folder keeps its previous
 * complete run (see pipeline/outputFolder).
 */
import { Command } from "commander";
import { isUserInputError } from "../common/errors";
import { cacheEnabledByEnv } from "../pipeline/cache";
import { parseRunOptions, RUN_OPTIONS } from "../pipeline/params";
import type { OptionSpec, RawRunOptions, RunOptions } from "../pipeline/params";
import { labelRuleName } from "../ingest/label";
import { stderrProgress } from "./progress";

/** The flags from the shared option table; values stay text until `parseRunOptions`. */
function program(): Command {
  const cmd = new Command()
    .name("pipeline")
    .description("Ingest a Spotify export, model which plays are finished, rank recommendations, write the standard outputs.")
    .exitOverride();
  for (const spec of Object.values(RUN_OPTIONS) as OptionSpec<unknown>[]) {
    const flags = `${spec.flag} ${spec.arg}`.trim();
    if (spec.repeatable) cmd.option(flags, spec.help, (value: string, previous?: string[]) => [...(previous ?? []), value]);
    else cmd.option(flags, spec.help);
  }
  return cmd;
}

/** Parses and validates argv; null after --help / a usage error (commander printed it). */
function parseArgs(argv: string[]): { options: RunOptions } | { exit: number } {
  const cmd = program();
  try {
    cmd.parse(argv, { from: "user" });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return { exit: code === 0 ? 0 : 1 };
  }
  return { options: parseRunOptions(cmd.opts<RawRunOptions>(), "cli") };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    if (!isUserInputError(error)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  }
  if ("exit" in parsed) return parsed.exit;
  const o = parsed.options;

  // Loaded only after validation, so a refusal is immediate (the models pull in tfjs). A
  // require, not import(): the fast start (scripts/preload.cjs) runs under tsx's CommonJS hook alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PIPELINE_STAGES, runPipeline } = require("../pipeline/run") as typeof import("../pipeline/run");
  const stages = [...PIPELINE_STAGES];
  if (o.backtest) for (let k = 1; k <= o.backtest.folds; k++) stages.splice(stages.indexOf("outputs"), 0, `backtest fold ${k}/${o.backtest.folds}`);
  for (const rule of o.compareLabels ?? []) stages.splice(stages.indexOf("outputs"), 0, `labels ${labelRuleName(rule)}`);
  const progress = stderrProgress(stages);
  try {
    const outcome = await runPipeline(o.input, o.outputDir, o.params, progress, {
      backtest: o.backtest,
      compareLabels: o.compareLabels,
      wait: o.wait,
      cache: { enabled: o.cache && cacheEnabledByEnv(), log: (m) => process.stderr.write(`${m}\n`) },
      onNotice: (line) => process.stderr.write(`note: ${line}\n`),
    });
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
  // main turns every expected failure into an exit code; anything else is a bug, and Node's
  // unhandled-rejection exit prints its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
