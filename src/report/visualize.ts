/** Write every visualization output (SVG figures, dashboard.html, visualization_summary.md) to a folder. */
import * as path from "path";
import { startWorkerJob } from "../common/worker";
import { dashboardHtmlChunks } from "./dashboard";
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
  writeFileAtomic(path.join(outDir, DASHBOARD_FILE), dashboardHtmlChunks(data));
  writeFileAtomic(path.join(outDir, SUMMARY_FILE), visualizationSummary(data));
  return report;
}

/** A worker thread that renders one run's figures (`startFigureWorker`). */
export interface FigureWorker {
  /**
   * `writeFigureFiles` in the worker: the same files, byte for byte; rendered on this thread
   * when the worker could not start or died. Errors (a failed write: UserInputError) are
   * rethrown here. Await it before touching `outDir`'s parent. Call it once.
   */
  write(data: FigureData, outDir: string): Promise<RenderReport>;
  /** Stops the worker when no figures will come (the run failed before its outputs); nothing once `write` was called. */
  cancel(): void;
}

/**
 * Starts the figure worker now: it loads vega and the figure modules (~0.6 s of CPU) while this
 * thread computes what the figures show, then renders them (~0.6 s whatever the export's size)
 * while this thread writes the other outputs.
 */
export function startFigureWorker(): FigureWorker {
  const job = startWorkerJob<{ data: FigureData; outDir: string }, RenderReport>(path.join(__dirname, "figureWorker.ts"), { preload: FIGURE_PACKAGES });
  return {
    write: async (data, outDir) => (await job.run({ data, outDir })) ?? writeFigureFiles(data, outDir),
    cancel: () => job.cancel(),
  };
}
