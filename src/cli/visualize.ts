/**
 * Regenerate the figures, dashboard and summary from scored_samples.csv:
 *   tsx src/cli/visualize.ts --scored-samples outputs/scored_samples.csv --out-dir outputs/figures
 * Also uses feature_importance.csv, model_comparison.csv, monthly_completion.csv and
 * top_resume_playlist.csv when they sit next to scored_samples.csv.
 */
import { Command } from "commander";
import * as path from "path";
import { isUserInputError } from "../common/errors";
import { loadFigureInputs } from "../report/inputs";
import { DASHBOARD_FILE, SUMMARY_FILE, writeVisualizations } from "../report/visualize";

export async function runVisualize(argv: string[], log: (line: string) => void = (l) => process.stdout.write(l + "\n")): Promise<void> {
  const program = new Command()
    .name("visualize")
    .description("Regenerate figures/*.svg, dashboard.html and visualization_summary.md from scored plays.")
    .option("--scored-samples <file>", "scored plays CSV written by the pipeline", "outputs/scored_samples.csv")
    .option("--out-dir <dir>", "folder for the figures", "outputs/figures")
    .exitOverride()
    .parse(argv, { from: "user" });
  const opts = program.opts<{ scoredSamples: string; outDir: string }>();
  const { inputs, found } = loadFigureInputs(opts.scoredSamples);
  const report = await writeVisualizations(inputs, opts.outDir);
  log(`Read ${inputs.scored.length} scored plays${found.length ? ` and ${found.join(", ")}` : ""}.`);
  for (const w of report.written) log(`wrote ${w.path}`);
  for (const s of report.skipped) log(`skipped ${s.file}: ${s.reason}`);
  log(`wrote ${path.join(opts.outDir, DASHBOARD_FILE)}`);
  log(`wrote ${path.join(opts.outDir, SUMMARY_FILE)}`);
}

if (require.main === module) {
  runVisualize(process.argv.slice(2)).catch((error: unknown) => {
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      // commander already printed help/version/usage errors.
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    if (isUserInputError(error)) {
      process.stderr.write(`visualize: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  });
}
