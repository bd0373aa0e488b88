/** Write every visualization output (SVG figures, dashboard.html, visualization_summary.md) to a folder. */
import * as path from "path";
import { buildDashboardHtml } from "./dashboard";
import { writeFileAtomic } from "./files";
import { buildFigureData, writeFigures } from "./figures";
import type { FigureInputs } from "./figures/types";
import type { RenderReport } from "./figures";
import { visualizationSummary } from "./summary";

export const DASHBOARD_FILE = "dashboard.html";
export const SUMMARY_FILE = "visualization_summary.md";

export async function writeVisualizations(inputs: FigureInputs, outDir: string): Promise<RenderReport> {
  const data = buildFigureData(inputs);
  const report = await writeFigures(data, outDir);
  writeFileAtomic(path.join(outDir, DASHBOARD_FILE), buildDashboardHtml(data));
  writeFileAtomic(path.join(outDir, SUMMARY_FILE), visualizationSummary(data));
  return report;
}
