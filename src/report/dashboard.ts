/**
 * `buildDashboardHtml`: one self-contained, offline HTML page (plotly.js inlined, data embedded
 * as escaped JSON, a CSP that forbids every network fetch). Same data → byte-identical HTML.
 */
import * as fs from "fs";
import { DASHBOARD_CLIENT_JS } from "./dashboardClient";
import { fmtInt, fmtPct } from "./figures/common";
import { FIGURES } from "./figures/registry";
import type { FigureData } from "./figures/types";
import { escapeHtml, jsonForScript } from "./html";
import { field } from "./rows";
import { figureTakeaways } from "./summary";

let plotlySource: string | undefined;
let plotlyBytes: Uint8Array | undefined;

/**
 * `inlinePlotlySource` as UTF-8 bytes: the file itself when it needs no change (it holds no
 * "</script" and no "<!--"), so a written dashboard skips decoding, joining and re-encoding its
 * ~5 MB (~0.1 s on the bench machine).
 */
export function inlinePlotlyBytes(): Uint8Array {
  if (plotlyBytes === undefined) {
    const raw = fs.readFileSync(require.resolve("plotly.js-dist-min"));
    // Unchanged by `inlinePlotlySource` (no "</script"), nor refused by it ("<!--" with "<script").
    const asIs = !holdsScriptTag(raw, "</") && !(raw.includes("<!--") && holdsScriptTag(raw, "<"));
    plotlyBytes = asIs ? raw : Buffer.from(inlinePlotlySource(), "utf8");
  }
  return plotlyBytes;
}

/**
 * Whether `bytes` hold `opening` followed by "script" in any case: `inlinePlotlySource`'s regex
 * tests as a byte search (those regexes over the 5 MB text take ~0.1 s).
 */
function holdsScriptTag(bytes: Buffer, opening: "<" | "</"): boolean {
  const name = "script";
  for (let at = bytes.indexOf(opening); at >= 0; at = bytes.indexOf(opening, at + opening.length)) {
    let k = 0;
    // ASCII letters: OR 0x20 folds upper case to lower.
    while (k < name.length && (bytes[at + opening.length + k] | 0x20) === name.charCodeAt(k)) k++;
    if (k === name.length) return true;
  }
  return false;
}

/** plotly.js-dist-min, made safe to inline in a <script> element. */
export function inlinePlotlySource(): string {
  if (plotlySource === undefined) {
    const src = fs.readFileSync(require.resolve("plotly.js-dist-min"), "utf8");
    // "</script" would end the element early; `<\/` means the same inside JS strings/regexes.
    const safe = src.replace(/<\/(script)/gi, "<\\/$1");
    if (/<!--/.test(safe) && /<script/i.test(safe)) {
      throw new Error("plotly source contains '<!--' and '<script': cannot inline it safely");
    }
    plotlySource = safe;
  }
  return plotlySource;
}

/** No network at all: inline scripts/styles and data: images only. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'";

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f5f6f8; color: #1b1f24; }
header { padding: 20px 32px 8px; }
h1 { margin: 0 0 6px; font-size: 22px; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; padding: 16px 32px 32px; }
section { background: white; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 0; }
section h2 { font-size: 15px; margin: 0 0 4px; }
.takeaway { font-size: 13px; color: #444; margin: 0 0 8px; }
.missing { color: #777; font-style: italic; padding: 24px 0; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6ea; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wide { grid-column: 1 / -1; }
`;

function cellHtml(value: unknown): string {
  if (typeof value === "number") {
    const text = Number.isInteger(value) ? String(value) : value.toFixed(3);
    return `<td class="num">${escapeHtml(text)}</td>`;
  }
  return `<td>${escapeHtml(value ?? "")}</td>`;
}

/** Escaped HTML table of the top recommendations (first row's keys as columns). */
export function recommendationsTable(rows: readonly object[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${columns.map((c) => cellHtml(field(r, c))).join("")}</tr>`).join("\n");
  return `<table id="recommendations"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export interface DashboardOptions {
  title?: string;
}

/** The complete dashboard page as a string. */
export function buildDashboardHtml(data: FigureData, options: DashboardOptions = {}): string {
  const { before, after } = dashboardAround(data, options);
  return before + inlinePlotlySource() + after;
}

/** The dashboard page as UTF-8 chunks to write (`buildDashboardHtml`'s bytes, plotly not decoded). */
export function dashboardHtmlChunks(data: FigureData, options: DashboardOptions = {}): (string | Uint8Array)[] {
  const { before, after } = dashboardAround(data, options);
  return [before, inlinePlotlyBytes(), after];
}

/** The page before and after the inlined plotly source. */
function dashboardAround(data: FigureData, options: DashboardOptions): { before: string; after: string } {
  const title = options.title ?? "Spotify play completion dashboard";
  const takeaways = figureTakeaways(data, "text");
  const drawn: string[] = [];
  const sections = FIGURES.map((fig) => {
    const result = fig.build(data);
    const head = `<section id="section-${fig.id}"><h2>${escapeHtml(fig.title)}</h2>`;
    if ("skipped" in result) {
      return `${head}<div class="missing" id="fig-${fig.id}" data-skipped="true">Not available: ${escapeHtml(result.skipped)}.</div></section>`;
    }
    drawn.push(fig.id);
    return `${head}<p class="takeaway">${escapeHtml(takeaways[fig.id])}</p><div class="plot" id="fig-${fig.id}"></div></section>`;
  });
  if (data.recommendations && data.recommendations.length > 0) {
    sections.push(`<section class="wide" id="section-recommendations"><h2>Top recommendations</h2>${recommendationsTable(data.recommendations)}</section>`);
  }
  const m = data.meta;
  const overview =
    m.plays === 0
      ? "No scored plays."
      : `${fmtInt(m.plays)} scored plays, ${fmtInt(m.labelled)} labelled` +
        (m.labelled > 0 ? ` (${fmtPct(m.completed / m.labelled)} completed)` : "") +
        `. Evaluation charts use ${fmtInt(m.evalRows)} ${m.evalSplit} plays.`;
  // The page's lines, joined by "\n": plotly's source goes inside the script element that `before` opens and `after` closes.
  const before = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${DASHBOARD_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    // Tell plotly never to look for MathJax.
    '<script>window.PlotlyConfig = { MathJaxConfig: "local" };</script>',
    "<script>",
  ];
  const after = [
    "</script>",
    "</head>",
    "<body>",
    `<header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(overview)}</p></header>`,
    "<main>",
    ...sections,
    "</main>",
    `<script type="application/json" id="figure-data">${jsonForScript({ figures: drawn, data })}</script>`,
    `<script>${DASHBOARD_CLIENT_JS}</script>`,
    "</body>",
    "</html>",
    "",
  ];
  return { before: before.join("\n"), after: after.join("\n") };
}
