/**
 * The presentation of a run: `OUTPUT_DIR/presentation/report.html` and `slides.html`, built
 * from the executed notebooks in `OUTPUT_DIR/notebooks/` and the run's own output files.
 */
import * as fs from "fs";
import * as path from "path";
import { UserInputError } from "../../common/errors";
import { writeFileAtomic } from "../files";
import { readHeadline } from "./headline";
import { readNotebook, withRelativePaths } from "./ipynb";
import { buildReportHtml } from "./report";
import { buildSlidesHtml } from "./slides";

export { readNotebook, notebookDoc, withRelativePaths } from "./ipynb";
export type { Block, NotebookDoc, Section } from "./ipynb";
export { readHeadline } from "./headline";
export { buildReportHtml } from "./report";
export { buildSlidesHtml, sectionPages } from "./slides";
export { sanitizeOutputHtml, sanitizeSvg, markdownHtml } from "./blocks";

/** Executed notebooks (`NN_name.ipynb`) in `outputDir/notebooks`, in order; a UserInputError when there are none. */
export function executedNotebooks(outputDir: string): string[] {
  const dir = path.join(outputDir, "notebooks");
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^\d\d_.+\.ipynb$/.test(n)).sort() : [];
  if (names.length === 0) {
    throw new UserInputError(`No executed notebooks in ${dir}. The presentation is built from them: run \`npm start\` first (with the same OUTPUT_DIR), which executes the notebooks and writes the presentation.`, dir);
  }
  return names.map((n) => path.join(dir, n));
}

export interface PresentationFiles {
  report: string;
  slides: string;
  notebooks: string[];
}

/** Builds both pages from `outputDir`'s executed notebooks and writes them to `outputDir/presentation/`. */
export function writePresentation(outputDir: string): PresentationFiles {
  const notebooks = executedNotebooks(outputDir);
  const docs = notebooks.map((file) => withRelativePaths(readNotebook(file), outputDir));
  const headline = readHeadline(outputDir);
  const dir = path.join(outputDir, "presentation");
  const report = path.join(dir, "report.html");
  const slides = path.join(dir, "slides.html");
  writeFileAtomic(report, buildReportHtml(docs, headline));
  writeFileAtomic(slides, buildSlidesHtml(docs, headline));
  return { report, slides, notebooks };
}
