/**
 * The README's figures: one pipeline run on data-sample/ (the committed synthetic export,
 * default parameters plus `--compare-labels`, so the optional figure shows too), its SVG figures copied to docs/figures/ and a README "Figures" section,
 * between `<!-- figures:start -->` and `<!-- figures:end -->`, showing each figure with the
 * takeaway computed by that run (from its visualization_summary.md). The training curves are
 * rendered from the same run exactly as notebooks/03_model does. Everything is byte-
 * deterministic, so test/docs-figures.test.ts can fail when docs/figures/ or the README is stale.
 *
 *   tsx scripts/docs-figures.ts           regenerate docs/figures/*.svg and the README section
 *   tsx scripts/docs-figures.ts --check   exit 1 (listing what differs) if either is stale
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_COMPARE_RULES, parseLabelRules } from "../src/ingest/label";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { runPipeline } from "../src/pipeline/run";
import { FIGURES, renderSvg } from "../src/report/figures";
import { trainingCurvePoints, trainingCurvesSpec, FILE as TRAINING_CURVES_FILE, TITLE as TRAINING_CURVES_TITLE } from "../src/report/figures/trainingCurves";

const root = path.resolve(__dirname, "..");
export const DOCS_FIGURES_DIR = path.join(root, "docs", "figures");
export const README = path.join(root, "README.md");
export const START = "<!-- figures:start -->";
export const END = "<!-- figures:end -->";

export interface DocsFigures {
  /** The tfjs backend the run used: model scores (and so some figures) may differ by backend. */
  backend: string;
  /** docs/figures/ file name → SVG text. */
  files: Map<string, string>;
  /** The README text between the markers (markers excluded). */
  section: string;
}

/** Per figure file, the `**Takeaway:**` line that visualization_summary.md gives it; plus its opening paragraph. */
export function parseSummary(markdown: string): { intro: string; takeaways: Map<string, string> } {
  const takeaways = new Map<string, string>();
  const lines = markdown.split("\n");
  const intro = lines.find((l) => l.startsWith("Computed from ")) ?? "";
  let file: string | null = null;
  for (const line of lines) {
    const image = /^!\[.*\]\(\.\/([^)]+)\)$/.exec(line);
    if (image) file = image[1];
    else if (file && line.startsWith("**Takeaway:** ")) {
      takeaways.set(file, line.slice("**Takeaway:** ".length).trim());
      file = null;
    }
  }
  return { intro, takeaways };
}

/** Runs the pipeline on data-sample/ in a temporary folder and builds the docs figures and README section. */
export async function buildDocsFigures(sample = path.join(root, "data-sample")): Promise<DocsFigures> {
  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-figures-"));
  try {
    const outcome = await runPipeline({ export: sample }, outputDir, DEFAULT_PARAMS, undefined, { compareLabels: parseLabelRules(DEFAULT_COMPARE_RULES) });
    const figuresDir = path.join(outputDir, "figures");
    const { intro, takeaways } = parseSummary(fs.readFileSync(path.join(figuresDir, "visualization_summary.md"), "utf8"));
    const files = new Map<string, string>();
    const body: string[] = [];
    const written = new Set(outcome.figures.written.map((w) => w.file));
    for (const figure of FIGURES) {
      if (!written.has(figure.file)) {
        const skipped = outcome.figures.skipped.find((s) => s.file === figure.file);
        body.push(`### ${figure.title}`, "", `_Not generated for the sample: ${skipped?.reason ?? "no data"}._`, "");
        continue;
      }
      files.set(figure.file, fs.readFileSync(path.join(figuresDir, figure.file), "utf8"));
      body.push(`### ${figure.title}`, "", `![${figure.title}](docs/figures/${figure.file})`, "", takeaways.get(figure.file) ?? "", "");
    }

    // Training curves: rendered as notebooks/03_model renders them, from this run's histories.
    const h = outcome.results.run.histories;
    const curves = trainingCurvePoints({
      ...(h.tfjs_logistic ? { tfjs_logistic: { train: h.tfjs_logistic.trainLoss, validation: h.tfjs_logistic.valLoss } } : {}),
      ...(h.tfjs_mlp ? { tfjs_mlp: { train: h.tfjs_mlp.trainLoss, validation: h.tfjs_mlp.valLoss } } : {}),
    });
    if (curves.length > 0) {
      files.set(TRAINING_CURVES_FILE, await renderSvg(trainingCurvesSpec(curves)));
      const parts = [
        h.tfjs_logistic ? `the tfjs logistic regression ran ${h.tfjs_logistic.epochsRun} epochs${h.tfjs_logistic.stoppedEarly ? " (stopped by the validation loss)" : ""}` : "",
        h.tfjs_mlp ? `the MLP ${h.tfjs_mlp.epochsRun} (best validation epoch ${h.tfjs_mlp.bestEpoch})` : "",
        `the closed-loop baseline took ${h.closed_loop_logistic.iterations} full-batch iterations (${h.closed_loop_logistic.converged ? "converged" : "not converged"})`,
      ].filter(Boolean);
      body.push(`### ${TRAINING_CURVES_TITLE}`, "", `![${TRAINING_CURVES_TITLE}](docs/figures/${TRAINING_CURVES_FILE})`, "", `On the sample, ${parts.join("; ")}.`, "");
    }

    const section = [
      "",
      `<!-- Generated by \`npx tsx scripts/docs-figures.ts\` from a pipeline run on data-sample/ (default parameters and --compare-labels, tfjs backend: ${outcome.results.run.backend.name}); do not edit by hand. -->`,
      "",
      `${intro} These are the synthetic sample's figures; your own land in \`outputs/figures/\`.`,
      "",
      ...body,
    ].join("\n");
    return { backend: outcome.results.run.backend.name, files, section };
  } finally {
    fs.rmSync(outputDir, { recursive: true, force: true });
  }
}

/** The tfjs backend named in the README's generated section (null if none). */
export function committedBackend(readme: string): string | null {
  return /tfjs backend: ([\w-]+)\)/.exec(readme)?.[1] ?? null;
}

/** The README with its figures section replaced by `section`. */
export function readmeWithSection(readme: string, section: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} markers`);
  return readme.slice(0, start + START.length) + section + readme.slice(end);
}

/** What differs between `built` and docs/figures/ + README.md (empty when up to date). */
export function staleness(built: DocsFigures, dir = DOCS_FIGURES_DIR, readme = README): string[] {
  const problems: string[] = [];
  const committed = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith(".")) : [];
  for (const [file, svg] of built.files) {
    const target = path.join(dir, file);
    if (!fs.existsSync(target)) problems.push(`docs/figures/${file} is missing`);
    else if (fs.readFileSync(target, "utf8") !== svg) problems.push(`docs/figures/${file} differs from a fresh data-sample run`);
  }
  for (const file of committed) if (!built.files.has(file)) problems.push(`docs/figures/${file} is no longer produced`);
  const text = fs.readFileSync(readme, "utf8");
  if (readmeWithSection(text, built.section) !== text) problems.push("README.md's figures section differs from a fresh data-sample run");
  return problems;
}

/** Writes docs/figures/ (removing figures no longer produced) and the README section. */
export function writeDocsFigures(built: DocsFigures, dir = DOCS_FIGURES_DIR, readme = README): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(dir)) if (file.endsWith(".svg") && !built.files.has(file)) fs.rmSync(path.join(dir, file));
  for (const [file, svg] of built.files) fs.writeFileSync(path.join(dir, file), svg);
  fs.writeFileSync(readme, readmeWithSection(fs.readFileSync(readme, "utf8"), built.section));
}

if (require.main === module) {
  (async () => {
    const built = await buildDocsFigures();
    if (process.argv.includes("--check")) {
      const problems = staleness(built);
      for (const p of problems) process.stderr.write(`${p}\n`);
      if (problems.length) process.stderr.write("Run `npx tsx scripts/docs-figures.ts` to regenerate.\n");
      process.exit(problems.length ? 1 : 0);
    }
    writeDocsFigures(built);
    process.stderr.write(`${built.files.size} figures written to docs/figures/; README.md figures section updated.\n`);
  })().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  });
}
