/**
 * Privacy: no planted personal value from data-sample/ reaches any output file; committed
 * notebooks carry no outputs; .gitignore keeps outputs and real exports out of git.
 *
 * PRIVACY_SCAN_DIR=<an OUTPUT_DIR> additionally scans that folder recursively (e.g. the
 * executed notebooks written by the notebook run).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runPipeline } from "../src/pipeline/run";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { PLANTED_PII } from "../src/sample/names";

const ROOT = path.resolve(__dirname, "..");
const SAMPLE = path.join(ROOT, "data-sample");

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The value as it could appear in a file: raw, JSON-escaped, HTML-escaped, URL-encoded. */
function encodings(value: string): string[] {
  const html = value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  const variants = new Set([value, JSON.stringify(value).slice(1, -1), html, encodeURIComponent(value), value.replace(/\//g, "\\/")]);
  return [...variants];
}

/** Case-insensitive byte search (ASCII folding) of every encoding of every planted value. */
function findPii(files: string[]): string[] {
  const needles = Object.entries(PLANTED_PII).flatMap(([key, value]) =>
    encodings(value).map((enc) => ({ key, enc, bytes: Buffer.from(enc.toLowerCase(), "utf8") })),
  );
  const hits: string[] = [];
  for (const f of files) {
    const raw = fs.readFileSync(f);
    // ASCII lower-casing on bytes: multi-byte UTF-8 sequences are untouched.
    const lower = Buffer.from(raw);
    for (let i = 0; i < lower.length; i++) if (lower[i] >= 65 && lower[i] <= 90) lower[i] += 32;
    for (const n of needles) if (lower.indexOf(n.bytes) >= 0) hits.push(`${f}: ${n.key} (${n.enc})`);
  }
  return hits;
}

let outDir = "";
let written: string[] = [];

before(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "privacy-out-"));
  const outcome = await runPipeline({ export: SAMPLE }, outDir, DEFAULT_PARAMS);
  written = listFiles(outDir);
  assert.ok(outcome.written.length > 0);
});

after(() => {
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

test("the sample really carries every planted value (else the scan proves nothing)", () => {
  const inputs = listFiles(SAMPLE);
  for (const [key, value] of Object.entries(PLANTED_PII)) {
    assert.ok(findPii(inputs).some((h) => h.includes(`: ${key} (`)), `${key} = ${value} is not planted in data-sample/`);
  }
});

test("no planted personal value occurs in any pipeline output (recursively, incl. figures/dashboard.html)", () => {
  assert.ok(written.some((f) => f.endsWith(path.join("figures", "dashboard.html"))), "dashboard written");
  assert.ok(written.some((f) => f.endsWith("ingest_report.json")));
  assert.ok(written.length >= 15, `${written.length} output files`);
  assert.deepEqual(findPii(written), []);
});

test("the scanner itself finds a planted value in any case and encoding", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "privacy-self-"));
  fs.writeFileSync(path.join(dir, "a.html"), `<td>${PLANTED_PII.email.toUpperCase()}</td>`);
  fs.writeFileSync(path.join(dir, "b.json"), `{"ua": "${PLANTED_PII.userAgent.replace("/", "\\/")}"}`); // JSON with an escaped slash
  fs.writeFileSync(path.join(dir, "c.csv"), `x,${encodeURIComponent(PLANTED_PII.ipv6)}\n`);
  const hits = findPii(listFiles(dir));
  for (const f of ["a.html: email", "b.json: userAgent", "c.csv: ipv6"]) assert.ok(hits.some((h) => h.includes(f)), `${f} not found in ${hits.join(" | ")}`);
});

test("PRIVACY_SCAN_DIR (an OUTPUT_DIR with executed notebooks) holds no planted value", (t) => {
  const dir = process.env.PRIVACY_SCAN_DIR;
  if (!dir) {
    t.skip("PRIVACY_SCAN_DIR not set");
    return;
  }
  assert.ok(fs.existsSync(dir), `PRIVACY_SCAN_DIR=${dir} does not exist`);
  const files = listFiles(dir);
  assert.ok(files.length > 0, `PRIVACY_SCAN_DIR=${dir} is empty`);
  assert.deepEqual(findPii(files), []);
});

test("committed notebooks carry no outputs and no execution counts", () => {
  const nbDir = path.join(ROOT, "notebooks");
  const notebooks = fs.readdirSync(nbDir).filter((f) => f.endsWith(".ipynb"));
  assert.ok(notebooks.length > 0, "notebooks/*.ipynb exist");
  for (const name of notebooks) {
    const nb = JSON.parse(fs.readFileSync(path.join(nbDir, name), "utf8")) as {
      cells: Array<{ cell_type: string; outputs?: unknown[]; execution_count?: number | null; metadata?: Record<string, unknown> }>;
    };
    assert.ok(Array.isArray(nb.cells), `${name} has cells`);
    nb.cells.forEach((c, i) => {
      if (c.cell_type !== "code") return;
      assert.deepEqual(c.outputs ?? [], [], `${name} cell ${i} has outputs`);
      assert.equal(c.execution_count ?? null, null, `${name} cell ${i} has an execution count`);
      const meta = c.metadata ?? {};
      assert.ok(!("execution" in meta), `${name} cell ${i} carries execution timing metadata`);
    });
    assert.deepEqual(findPii([path.join(nbDir, name)]), [], `${name} mentions a planted value`);
  }
});

test(".gitignore ignores outputs/ and real export folders and zips, but not the synthetic sample", () => {
  const ignored = (p: string): boolean => {
    try {
      execFileSync("git", ["check-ignore", "-q", "--no-index", p], { cwd: ROOT, stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  for (const p of [
    "outputs/x",
    "outputs/figures/dashboard.html",
    "outputs/executed/01_ingest.ipynb",
    "my_spotify_data.zip",
    "my_spotify_data (1).zip",
    "my_spotify_data/Spotify Extended Streaming History/endsong_0.json",
    "Spotify Extended Streaming History/Streaming_History_Audio_2023_0.json",
    "Spotify Account Data/Userdata.json",
    "Spotify Technical Log Information/Stutter.json",
    "MyData/endsong_0.json",
    "somewhere/else/download.zip",
  ]) {
    assert.ok(ignored(p), `${p} is not ignored`);
  }
  for (const p of ["data-sample/Spotify Account Data/Userdata.json", "data-sample/Spotify Extended Streaming History/Streaming_History_Audio_2022_0.json", "src/ingest/index.ts", "notebooks/01_ingest.ipynb"]) {
    assert.ok(!ignored(p), `${p} should not be ignored`);
  }
});
