/** Figures: aggregated data, vega-lite specs, and SVG files. */
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../files";
import { buildFigureData } from "./data";
import { FIGURES } from "./registry";
import { renderSvg } from "./render";
import type { FigureData, FigureInputs } from "./types";

export * from "./types";
export { buildFigureData, monthRows } from "./data";
export { DEFAULT_FIGURES, FIGURES } from "./registry";
export type { FigureDef, SpecResult } from "./registry";
export { renderSvg } from "./render";

export interface RenderReport {
  written: { file: string; path: string }[];
  skipped: { file: string; reason: string }[];
}

/** Every available figure as SVG text (file name → SVG, in FIGURES order), plus the skipped ones. */
export interface RenderedFigures {
  svgs: Map<string, string>;
  skipped: RenderReport["skipped"];
}

/** Render every available figure to SVG strings (file name → SVG), plus the skipped ones. */
export async function renderFigureSvgs(data: FigureData): Promise<RenderedFigures> {
  const svgs = new Map<string, string>();
  const skipped: RenderReport["skipped"] = [];
  for (const fig of FIGURES) {
    const result = fig.build(data);
    if ("skipped" in result) skipped.push({ file: fig.file, reason: result.skipped });
    else svgs.set(fig.file, await renderSvg(result.spec));
  }
  return { svgs, skipped };
}

/**
 * Write every figure the data allows into `outDir`.
 * @param rendered the figures already rendered from this `data` (05 shows them first): not rendered again
 */
export async function writeFigures(data: FigureData, outDir: string, rendered?: RenderedFigures): Promise<RenderReport> {
  const { svgs, skipped } = rendered ?? (await renderFigureSvgs(data));
  const written: RenderReport["written"] = [];
  for (const [file, svg] of svgs) {
    const target = path.join(outDir, file);
    writeFileAtomic(target, svg);
    written.push({ file, path: target });
  }
  // A figure skipped this run must not survive from an earlier run and pass for current.
  for (const { file } of skipped) fs.rmSync(path.join(outDir, file), { force: true });
  return { written, skipped };
}

/** Aggregate `inputs` and write every figure its inputs allow. */
export async function renderAllFigures(inputs: FigureInputs, outDir: string): Promise<RenderReport & { data: FigureData }> {
  const data = buildFigureData(inputs);
  return { ...(await writeFigures(data, outDir)), data };
}
