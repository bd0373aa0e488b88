/** Report stage: CSV/markdown/HTML helpers, figures, summary and dashboard. */
export * from "./files";
export * from "./csv";
export * from "./markdown";
export { escapeHtml, jsonForScript } from "./html";
export * from "./figures";
export { visualizationSummary, figureTakeaways } from "./summary";
export { buildDashboardHtml } from "./dashboard";
export { loadFigureInputs, parseScoredSamples, REQUIRED_SCORED_COLUMNS, SIBLING_FILES } from "./inputs";
export * from "./columns";
export { writeFigureFiles, writeVisualizations } from "./visualize";
