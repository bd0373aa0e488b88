/**
 * docs/figures/ and the README's figures section must match a fresh pipeline run on
 * data-sample/ (the run is byte-deterministic). When this fails after an intended change,
 * regenerate with `npx tsx scripts/docs-figures.ts` and commit the result.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { buildDocsFigures, committedBackend, parseSummary, readmeWithSection, staleness, DOCS_FIGURES_DIR, README, START, END } from "../scripts/docs-figures";
import { FIGURES } from "../src/report/figures";
import { PLANTED_PII } from "../src/sample/names";

test("the summary parser pairs each figure file with its takeaway", () => {
  const md = ["# Visualization summary", "", "Computed from 3 scored plays.", "", "## 1) A", "![A](./a.svg)", "**Takeaway:** a is high.", "", "## 2) B", "_Not generated: no labels._", ""].join("\n");
  const { intro, takeaways } = parseSummary(md);
  assert.equal(intro, "Computed from 3 scored plays.");
  assert.deepEqual([...takeaways], [["a.svg", "a is high."]]);
  assert.throws(() => readmeWithSection("no markers", "x"), /markers/);
  assert.equal(readmeWithSection(`a${START}old${END}b`, "new"), `a${START}new${END}b`);
});

test("docs/figures/ and the README figures section are up to date with a fresh data-sample run", { timeout: 120_000 }, async (t) => {
  const built = await buildDocsFigures();
  const committed = committedBackend(fs.readFileSync(README, "utf8"));
  if (committed !== built.backend) {
    // Scores differ in the last digits between tfjs backends (e.g. tfjs-node installed locally).
    t.skip(`docs/figures/ were rendered with the ${committed} tfjs backend, this machine uses ${built.backend}`);
    return;
  }
  // Every registered figure plus the training curves, each shown in the README with a takeaway.
  for (const file of FIGURES.map((f) => f.file)) {
    assert.ok(built.files.has(file), `${file} was not produced from data-sample/`);
    assert.match(built.files.get(file)!, /^<svg[\s\S]*<\/svg>\s*$/, file);
    assert.match(built.section, new RegExp(`!\\[[^\\]]+\\]\\(docs/figures/${file.replace(".", "\\.")}\\)\\n\\n\\S`), `${file} is shown with a takeaway`);
  }
  const size = [...built.files.values()].reduce((s, svg) => s + Buffer.byteLength(svg), 0);
  assert.ok(size < 1_000_000, `docs/figures/ would hold ${size} bytes`);
  const needles = Object.values(PLANTED_PII).flat().map((v) => String(v).toLowerCase()).filter((v) => v.length >= 6);
  for (const [file, svg] of built.files) for (const needle of needles) assert.ok(!svg.toLowerCase().includes(needle), `${file} contains planted PII`);

  const problems = staleness(built);
  assert.deepEqual(problems, [], `${problems.join("\n")}\nRun \`npx tsx scripts/docs-figures.ts\` and commit docs/figures/ and README.md.`);
  // The README's links point at committed files.
  const readme = fs.readFileSync(README, "utf8");
  for (const [, file] of readme.matchAll(/\]\(docs\/figures\/([^)]+)\)/g)) assert.ok(fs.existsSync(path.join(DOCS_FIGURES_DIR, file)), file);
});
