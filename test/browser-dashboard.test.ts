import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { buildDashboardHtml } from "../src/report/dashboard";
import { buildFigureData, FIGURES } from "../src/report/figures";
import { writeFileAtomic } from "../src/report/files";
import { HOSTILE_NAME, syntheticInputs } from "./helpers/figureInputs";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(__dirname, "..", "test-artifacts");

test("dashboard renders offline in Chromium: all plots drawn, no requests, no script injection", {
  skip: fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian chromium to run the browser test`,
  timeout: 120_000,
}, async () => {
  const { chromium } = await import("playwright-core");
  const file = path.join(ARTIFACTS, "dashboard.html");
  writeFileAtomic(file, buildDashboardHtml(buildFigureData(syntheticInputs())));
  const url = pathToFileURL(file).href;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("dialog", (d) => { dialogs.push(d.message()); void d.dismiss(); });

    await page.goto(url, { waitUntil: "load" });
    const expected = FIGURES.map((f) => `fig-${f.id}`);
    await page.waitForFunction((n) => document.querySelectorAll(".plot .main-svg").length >= n, expected.length, { timeout: 30_000 });

    const plots = await page.$$eval(".plot", (els) => els.map((e) => ({ id: e.id, drawn: e.querySelector(".main-svg") !== null })));
    assert.deepEqual(plots.map((p) => p.id), expected, "one plot div per figure, in contract order");
    for (const p of plots) assert.ok(p.drawn, `${p.id} has a plotly SVG`);

    // The hostile name is shown as text (axis label and recommendations table), never executed.
    const svgTexts = await page.$$eval("#fig-top_artists_completion_rate text", (els) => els.map((e) => e.textContent ?? ""));
    assert.ok(svgTexts.includes(HOSTILE_NAME), "hostile artist shown literally on the chart axis");
    // Plotly parses a tag subset (<b>, <a href>…) in text: escaped input must show the tags literally.
    const featureTexts = await page.$$eval("#fig-feature_importance text", (els) => els.map((e) => e.textContent ?? ""));
    assert.ok(featureTexts.includes("<b>html</b>"), "plotly pseudo-HTML shown literally");
    const cells = await page.$$eval("#recommendations td", (els) => els.map((e) => e.textContent ?? ""));
    assert.ok(cells.includes(HOSTILE_NAME), "hostile track shown literally in the table");
    assert.equal(await page.evaluate(() => document.scripts.length), 4, "no injected <script> elements");

    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true, timeout: 60_000 });
    assert.deepEqual(dialogs, [], "no dialog fired");
    assert.deepEqual(errors, [], "no console errors");
    assert.deepEqual(requests, [url], "no request other than the page itself");
  } finally {
    await browser.close();
  }
});
