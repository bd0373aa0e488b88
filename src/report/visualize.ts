/** Write every visualization output (SVG figures, dashboard.html, visualization_summary.md) to a folder. */
import * as path from "path";
import { runWorkerJob } from "../common/worker";
import { buildDashboardHtml } from "./dashboard";
import { writeFileAtomic } from "./files";
import { buildFigureData, writeFigures } from "./figures";
import type { FigureData, FigureInputs } from "./figures/types";
import type { RenderedFigures, RenderReport } from "./figures";
import { visualizationSummary } from "./summary";

export const DASHBOARD_FILE = "dashboard.html";
export const SUMMARY_FILE = "visualization_summary.md";

/** Packages the figure worker loads through Node's own loader before tsx (see common/worker's `preload`). */
const FIGURE_PACKAGES: readonly string[] = ["vega", "vega-lite"];

export async function writeVisualizations(inputs: FigureInputs, outDir: string): Promise<RenderReport> {
  return writeFigureFiles(buildFigureData(inputs), outDir);
}

/**
 * Every figure's SVG, the dashboard and the summary of already aggregated `data`, into `outDir`.
 * @param rendered its figures, when already rendered (`renderFigureSvgs(data)`)
 */
export async function writeFigureFiles(data: FigureData, outDir: string, rendered?: RenderedFigures): Promise<RenderReport> {
  const report = await writeFigures(data, outDir, rendered);
  writeFileAtomic(path.join(outDir, DASHBOARD_FILE), buildDashboardHtml(data));
  writeFileAtomic(path.join(outDir, SUMMARY_FILE), visualizationSummary(data));
  return report;
}

/**
 * `writeFigureFiles` in a worker thread, so rendering (vega: ~1 s of CPU whatever the export's
 * size) overlaps what the caller does meanwhile (the pipeline writes its other outputs). The
 * same files, byte for byte; rendered inline when no worker can start. Errors (a failed
 * write: UserInputError) are rethrown here. Await it before touching `outDir`'s parent.
 */
export async function writeFigureFilesInWorker(data: FigureData, outDir: string): Promise<RenderReport> {
  const reply = await runWorkerJob<RenderReport>(path.join(__dirname, "figureWorker.ts"), { data, outDir }, [], { preload: FIGURE_PACKAGES });
  return reply ?? writeFigureFiles(data, outDir);
}
