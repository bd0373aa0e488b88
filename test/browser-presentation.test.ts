/**
 * The presentation in Chromium. A minimal executed notebook is made at test time: a fixture
 * notebook run through the real tslab kernel (scripts/run_notebook.py) that displays, with the
 * project's own htmlTable and renderSvg, hostile names (a `<script>` artist, a formula, RTL,
 * emoji, quotes), an unescaped HTML output a careless writer might emit, stdout and a figure.
 * report.html and slides.html are built from it and opened from file://: no request but the
 * page, no console error, no code on screen, figures drawn (report, and a slide reached with
 * the keyboard), hostile names shown as text and nothing injected executed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { executeNotebooks, notebookEnv } from "../scripts/run-notebooks";
import { present } from "../scripts/present";
import { HOSTILE_LIST, HOSTILE_NAMES } from "../src/sample/names";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(__dirname, "..", "test-artifacts");
const root = path.resolve(__dirname, "..");
/** data-sample's hostile names: markup, spreadsheet formulas, quotes, newline/tab, emoji, RTL scripts. */
const NAMES = [...HOSTILE_LIST];
const HOSTILE = HOSTILE_NAMES.script;
/** Source text that must never be on screen (it is only in the fixture's code cells). */
const CODE = ["import * as tslab", "await renderSvg", "paramsFromEnv", "tslab.display"];

const code = (src: string) => ({ cell_type: "code", metadata: {}, outputs: [], execution_count: null, source: src });
const md = (src: string) => ({ cell_type: "markdown", metadata: {}, source: src });

/** A fixture notebook in `dir` (with the `src` symlink the real notebooks use). */
function fixtureNotebook(dir: string): string {
  fs.symlinkSync(path.join(root, "src"), path.join(dir, "src"));
  const cells = [
    md("# 01 · Hostile names\n\nPurpose: names from an export are **data**, never markup."),
    code(`import * as tslab from "tslab";
import { paramsFromEnv } from "./src/pipeline/params";
import { htmlTable } from "./src/report/notebook";
import { renderSvg } from "./src/report/figures";
const NAMES = ${JSON.stringify(NAMES)};
const unused = typeof paramsFromEnv;`),
    md("## 1. A table of hostile names\nEach name below must read literally."),
    code(`tslab.display.html(htmlTable(NAMES.map((artist, i) => ({ rank: i + 1, artist, completion: 0.5 + i / 20 })), { caption: NAMES[0] }));
tslab.display.markdown(\`The most played artist is \${NAMES[0]}, then \${NAMES[1]}.\`);
console.log(\`stdout: \${NAMES.join(" | ")} \${"x".repeat(400)}\`);
// A careless writer: raw HTML with a script and an event handler (the presentation must strip both).
tslab.display.html('<table><tr><td>careless</td></tr></table><script>window.__pwned = 2</script><img src="x" onerror="window.__pwned = 3">');`),
    md("## 2. A figure with hostile labels"),
    code(`tslab.display.svg(await renderSvg({
  data: { values: NAMES.map((artist, i) => ({ artist, plays: 3 + i })) },
  mark: "bar",
  encoding: { y: { field: "artist", type: "nominal", axis: { labelLimit: 0 } }, x: { field: "plays", type: "quantitative" } },
  width: 400, height: 200,
}));
tslab.display.markdown(\`\${NAMES.length} artists drawn.\`);`),
    md("## Results"),
    code("console.log(`${process.env.OUTPUT_DIR}/notebook_results/01_hostile.json`);"),
  ];
  const file = path.join(dir, "01_hostile.ipynb");
  fs.writeFileSync(file, JSON.stringify({
    cells: cells.map((c, i) => ({ id: `c${i}`, ...c })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } },
    nbformat: 4, nbformat_minor: 5,
  }));
  return file;
}

test("npm run present without executed notebooks names the folder and the fix", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "present-empty-"));
  const lines: string[] = [];
  assert.equal(present(dir, (l) => lines.push(l)), false);
  assert.equal(lines.length, 1);
  assert.match(lines[0], new RegExp(`No executed notebooks in ${path.join(dir, "notebooks").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.match(lines[0], /npm start/);
  assert.doesNotMatch(lines[0], /\n\s+at /, "no stack trace");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("presentation renders offline in Chromium: no requests, no code, figures drawn, hostile names as text", {
  skip: fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian chromium to run the browser test`,
  timeout: 300_000,
}, async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "present-"));
  const sources = fs.mkdtempSync(path.join(os.tmpdir(), "present-src-"));
  const source = fixtureNotebook(sources);
  const outputDir = path.join(work, "outputs");
  fs.mkdirSync(path.join(outputDir, "notebooks"), { recursive: true });
  const runs = executeNotebooks([{ source, target: path.join(outputDir, "notebooks", "01_hostile.ipynb") }], notebookEnv({ OUTPUT_DIR: outputDir }), false);
  assert.ok(runs.every((r) => r.ok), runs.map((r) => r.error ?? "").join("\n"));
  // The project's htmlTable escapes names itself (the sanitiser is a second line, not the only one).
  const executed = JSON.parse(fs.readFileSync(path.join(outputDir, "notebooks", "01_hostile.ipynb"), "utf8")) as { cells: { outputs?: { data?: Record<string, string | string[]> }[] }[] };
  const htmlOutputs = executed.cells.flatMap((c) => c.outputs ?? []).map((o) => [o.data?.["text/html"] ?? ""].flat().join("")).filter(Boolean);
  assert.equal(htmlOutputs.length, 2);
  assert.ok(!htmlOutputs[0].includes("<script") && htmlOutputs[0].includes("&lt;script&gt;"), "htmlTable output is escaped at the source");
  assert.ok(htmlOutputs[1].includes("<script>"), "the careless output really carries a script (so stripping it is tested)");
  const lines: string[] = [];
  assert.ok(present(outputDir, (l) => lines.push(l)), lines.join("\n"));
  const report = path.join(outputDir, "presentation", "report.html");
  const slides = path.join(outputDir, "presentation", "slides.html");
  for (const [file, scripts] of [[report, 0], [slides, 2]] as const) {
    const html = fs.readFileSync(file, "utf8");
    const name = path.basename(file);
    assert.equal(html.match(/<script\b/gi)?.length ?? 0, scripts, `${name}: ${scripts} script elements (reveal.js and its initialisation on the slides)`);
    const markup = html.replace(/<script>[\s\S]*?<\/script>/g, "");
    assert.ok(!/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(markup), `${name}: no network reference`);
    assert.ok(!/\son(error|load|click)\s*=/i.test(markup), `${name}: the careless output's event handler is stripped`);
    assert.ok(!markup.includes("__pwned = 2"), `${name}: the careless output's script is dropped with its content`);
  }

  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  try {
    const open = async (file: string) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const url = pathToFileURL(file).href;
      const seen = { requests: [] as string[], errors: [] as string[], dialogs: [] as string[], url };
      page.on("request", (r) => seen.requests.push(r.url()));
      page.on("console", (m) => { if (m.type() === "error") seen.errors.push(m.text()); });
      page.on("pageerror", (e) => seen.errors.push(String(e)));
      page.on("dialog", (d) => { seen.dialogs.push(d.message()); void d.dismiss(); });
      await page.goto(url, { waitUntil: "load" });
      return { page, seen };
    };
    /** Text a reader can find in the page (every text node outside script/style), visible or not. */
    const pageText = (page: import("playwright-core").Page) => page.evaluate(() => {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      const parts: string[] = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.parentElement?.closest("script, style")) parts.push(n.textContent ?? "");
      }
      return parts.join("\n");
    });
    const checkClean = async (name: string, page: import("playwright-core").Page, seen: { requests: string[]; errors: string[]; dialogs: string[]; url: string }) => {
      const text = await pageText(page);
      for (const snippet of CODE) assert.ok(!text.includes(snippet), `${name}: source code "${snippet}" on the page`);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, `${name}: injected script ran`);
      assert.equal(await page.locator("img[onerror], [onerror], [onload]").count(), 0, `${name}: event handler survived`);
      assert.deepEqual(seen.dialogs, [], `${name}: no dialog`);
      assert.deepEqual(seen.errors, [], `${name}: no console errors`);
      assert.deepEqual(seen.requests, [seen.url], `${name}: no request other than the page itself`);
      return text;
    };

    // The report: table of contents, every section, names as text, the figure drawn.
    const r = await open(report);
    assert.deepEqual(await r.page.$$eval("nav#toc a", (as) => as.map((a) => a.textContent)),
      ["01 · Hostile names", "1. A table of hostile names", "2. A figure with hostile labels", "Results"]);
    const cells = await r.page.$$eval("main table td", (tds) => tds.map((td) => td.textContent ?? ""));
    for (const name of NAMES) assert.ok(cells.includes(name), `report table shows ${name} literally`);
    assert.ok(cells.includes("careless"), "the careless table's own cell is kept");
    const reportText = await checkClean("report", r.page, r.seen);
    assert.ok(reportText.includes(`The most played artist is ${NAMES[0]}, then ${NAMES[1]}.`), "computed sentence shown with the name as text");
    const stdout = await r.page.$eval("pre.text", (pre) => ({ text: pre.textContent ?? "", overflow: pre.scrollWidth - pre.clientWidth }));
    assert.ok(stdout.text.includes(NAMES.join(" | ")), "stdout shown");
    assert.ok(reportText.includes("outputs/notebook_results/01_hostile.json") && !reportText.includes(work), "paths shown within the output folder, not the presenter's absolute path");
    assert.ok(stdout.overflow <= 0, `a long output line wraps (overflow ${stdout.overflow} px)`);
    const svgTexts = await r.page.$$eval("figure svg text", (ts) => ts.map((t) => t.textContent ?? ""));
    assert.ok(svgTexts.includes(HOSTILE), "hostile label drawn as SVG text");
    const box = await r.page.locator("figure svg").first().boundingBox();
    assert.ok(box && box.width > 100 && box.height > 50, `report figure drawn (${JSON.stringify(box)})`);
    assert.equal(await r.page.evaluate(() => document.scripts.length), 0, "the report has no script");
    await r.page.screenshot({ path: path.join(ARTIFACTS, "presentation-report.png"), fullPage: true, timeout: 60_000 });

    // The slides: title with computed facts; navigate with the keyboard to the figure slide.
    const s = await open(slides);
    await s.page.waitForFunction(() => document.querySelector(".reveal.ready") !== null, undefined, { timeout: 30_000 });
    assert.equal(await s.page.locator("section.present h1").textContent(), "Which Spotify plays do you finish?");
    assert.match(await s.page.locator("section.present").textContent() ?? "", /Not found in the output folder: model_metrics\.json, ingest_report\.json/, "title slide says which outputs it lacks");
    const titles = await s.page.$$eval(".slides > section h2", (hs) => hs.map((h) => h.textContent));
    assert.deepEqual(titles, ["1. A table of hostile names", "2. A figure with hostile labels"], "one slide per numbered section");
    await s.page.keyboard.press("ArrowRight");
    await s.page.keyboard.press("ArrowRight");
    await s.page.waitForFunction(() => document.querySelector("section.present h2")?.textContent === "2. A figure with hostile labels", undefined, { timeout: 10_000 });
    const slideBox = await s.page.locator("section.present figure svg").boundingBox();
    assert.ok(slideBox && slideBox.width > 600 && slideBox.height > 250, `slide figure drawn at slide size (${JSON.stringify(slideBox)})`);
    assert.ok((await s.page.$$eval("section.present svg text", (ts) => ts.map((t) => t.textContent))).includes(HOSTILE), "hostile label on the slide as text");
    await s.page.screenshot({ path: path.join(ARTIFACTS, "presentation-slide.png"), timeout: 60_000 });
    await s.page.keyboard.press("ArrowLeft");
    await s.page.waitForFunction(() => document.querySelector("section.present h2")?.textContent === "1. A table of hostile names", undefined, { timeout: 10_000 });
    const slideCells = await s.page.$$eval("section.present td", (tds) => tds.map((td) => td.textContent ?? ""));
    assert.ok(slideCells.includes(HOSTILE), "hostile name in the slide's table as text");
    assert.equal(await s.page.evaluate(() => document.scripts.length), 2, "only reveal.js and its initialisation");
    await checkClean("slides", s.page, s.seen);
  } finally {
    await browser.close();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(sources, { recursive: true, force: true });
  }
});
