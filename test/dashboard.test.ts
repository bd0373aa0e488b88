import { test } from "node:test";
import assert from "node:assert/strict";
import { buildDashboardHtml, dashboardHtmlChunks, inlinePlotlySource } from "../src/report/dashboard";
import { buildFigureData, FIGURES } from "../src/report/figures";
import { HOSTILE_NAME, syntheticInputs } from "./helpers/figureInputs";

const data = buildFigureData(syntheticInputs());
const html = buildDashboardHtml(data);
const plotly = inlinePlotlySource();
/** The page without the inlined plotly bundle (whose own strings contain URLs). */
const page = html.replace(plotly, "");

test("dashboard is one self-contained page: plotly inlined, no external references", () => {
  assert.ok(html.includes(plotly), "plotly inlined");
  assert.ok(plotly.length > 1_000_000);
  assert.doesNotMatch(page, /\s(?:src|href|xlink:href|action|poster|srcset)\s*=/i, "no resource attributes outside plotly");
  // User data may contain URL-like text (a track called =HYPERLINK("http://x")); it is data, shown as text.
  const code = page.replace(/<script type="application\/json"[^>]*>[^<]*<\/script>/, "").replace(/&quot;http:\/\/x&quot;/g, "");
  assert.doesNotMatch(code, /https?:\/\/|\/\/cdn|@import|url\(/i, "no URLs outside plotly and the data");
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(page, /MathJaxConfig: "local"/);
  assert.match(page, /displaylogo: false, responsive: true, typesetMath: false/);
  assert.equal((html.match(/<\/script>/gi) ?? []).length, 4, "exactly the 4 expected script elements close");
});

test("one plot div per figure, with stable ids", () => {
  for (const fig of FIGURES) assert.ok(page.includes(`<div class="plot" id="fig-${fig.id}"></div>`), fig.id);
  const partial = buildDashboardHtml(buildFigureData({ scored: syntheticInputs().scored, models: [] })).replace(plotly, "");
  assert.match(partial, /<div class="missing" id="fig-feature_importance" data-skipped="true">Not available: no feature importance input/);
});

test("hostile strings appear only escaped; embedded JSON parses back to the data", () => {
  assert.ok(!page.includes(HOSTILE_NAME), "raw hostile string never in the page");
  assert.ok(page.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped in HTML text");
  assert.ok(page.includes("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), "escaped in JSON");
  const json = /<script type="application\/json" id="figure-data">([^<]*)<\/script>/.exec(page);
  assert.ok(json, "JSON block present and contains no '<'");
  const payload = JSON.parse(json[1]) as { data: unknown; figures: string[] };
  assert.deepEqual(payload.data, JSON.parse(JSON.stringify(data)));
  assert.deepEqual(payload.figures, FIGURES.map((f) => f.id));
});

test("deterministic output", () => {
  assert.equal(buildDashboardHtml(buildFigureData(syntheticInputs())), html);
});

test("the chunks a dashboard is written from are its page's UTF-8 bytes, plotly's file inlined as it is", () => {
  const chunks = dashboardHtmlChunks(data);
  const bytes = Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c, "utf8") : c)));
  assert.ok(bytes.equals(Buffer.from(html, "utf8")));
  assert.equal(chunks.length, 3);
  assert.ok(Buffer.from(chunks[1]).equals(Buffer.from(plotly, "utf8")), "plotly needs no change: its bytes are the file's");
});
