/**
 * The kernel's cache of compiled cells (jupyter/kernels/tslab/cellCache.js): a cell is read back
 * only when its text, the declarations before it, the folder and every file the compiler reads
 * are the same; anything else compiles it again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cellCache = require("../jupyter/kernels/tslab/cellCache.js") as {
  cachedConverter: (create: () => FakeConverter, options: { cacheDir: string; environment: () => string; stamp: () => string }) => FakeConverter;
  compileEnvironment: (root: string, files?: string[], versions?: string[]) => string;
  compileStamp: (root: string, files?: string[]) => string;
  importsUnkeyed: (src: string) => boolean;
};

interface FakeConverter {
  convert(prevDecl: string, src: string): { output: string; declOutput: string; diagnostics: unknown[] };
  addModule(name: string, content: string): unknown[];
  close(): void;
}

/** The options launch.js gives, for a project folder `root`. */
const optionsFor = (root: string, cacheDir = path.join(root, "cache")) => ({ cacheDir, environment: () => cellCache.compileEnvironment(root, [], ["v20"]), stamp: () => cellCache.compileStamp(root) });
const stored = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".json")).length : 0);

/** A converter that counts its compiles and its creations. */
function counting(during: () => void = () => {}) {
  const counts = { created: 0, compiled: 0 };
  const create = (): FakeConverter => {
    counts.created++;
    return {
      convert: (prevDecl, src) => (during(), counts.compiled++, { output: `/* ${prevDecl} */ ${src}`, declOutput: `declare const x${src.length}: number;`, diagnostics: src.includes("bad") ? [{ messageText: "planted", start: { line: 0, character: 0 } }] : [] }),
      addModule: () => [],
      close: () => {},
    };
  };
  return { counts, create };
}

function fakeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cell-cache-"));
  fs.mkdirSync(path.join(root, "src", "model"), { recursive: true });
  fs.mkdirSync(path.join(root, "notebooks"));
  fs.mkdirSync(path.join(root, "node_modules"));
  fs.writeFileSync(path.join(root, "src", "model", "a.ts"), "export const a = 1;\n");
  fs.writeFileSync(path.join(root, "notebooks", "danfo.ts"), "export const dfd = 1;\n");
  fs.writeFileSync(path.join(root, "node_modules", ".package-lock.json"), '{"packages":{}}');
  return root;
}

test("a cell compiled before is read back, without creating the compiler; its diagnostics too", () => {
  const root = fakeRoot();
  const cacheDir = path.join(root, "node_modules", ".cache", "tslab-cells");
  const options = optionsFor(root, cacheDir);
  const first = counting();
  const a = cellCache.cachedConverter(first.create, options);
  const compiled = [a.convert("", 'import { a } from "./src/model/a";'), a.convert("declare const a: 1;", "const bad = a;")];
  assert.deepEqual(first.counts, { created: 1, compiled: 2 });
  const second = counting();
  const b = cellCache.cachedConverter(second.create, options);
  assert.deepEqual([b.convert("", 'import { a } from "./src/model/a";'), b.convert("declare const a: 1;", "const bad = a;")], compiled);
  assert.deepEqual(second.counts, { created: 0, compiled: 0 }, "read back: no compiler created, nothing compiled");
  b.convert("declare const a: 2;", "const bad = a;");
  b.convert("", "const other = 1;");
  assert.equal(second.counts.compiled, 2, "other declarations before it, or another text: compiled");
  fs.rmSync(root, { recursive: true, force: true });
});

test("any change to src/, the notebooks' modules, the installed packages or a version compiles every cell again", () => {
  const root = fakeRoot();
  const env = (versions = ["v20"]) => cellCache.compileEnvironment(root, [], versions);
  const base = env();
  const changes: [string, () => void][] = [
    ["a src/ file", () => fs.writeFileSync(path.join(root, "src", "model", "a.ts"), "export const a = 2;\n")],
    ["a new src/ file", () => fs.writeFileSync(path.join(root, "src", "model", "b.ts"), "export const b = 1;\n")],
    ["a notebook module", () => fs.writeFileSync(path.join(root, "notebooks", "danfo.ts"), "export const dfd = 2;\n")],
    ["an install", () => fs.writeFileSync(path.join(root, "node_modules", ".package-lock.json"), '{"packages":{"x":{}}}')],
  ];
  const seen = new Set([base]);
  for (const [what, change] of changes) {
    change();
    const now = env();
    assert.ok(!seen.has(now), `${what} changes the key`);
    seen.add(now);
  }
  assert.notEqual(env(["v22"]), env(), "another Node");
  // Without npm's record of node_modules the packages are unknown: nothing is stored or read.
  fs.rmSync(path.join(root, "node_modules", ".package-lock.json"));
  const { counts, create } = counting();
  const cacheDir = path.join(root, "cache");
  const c = cellCache.cachedConverter(create, optionsFor(root, cacheDir));
  c.convert("", "const x = 1;");
  c.convert("", "const x = 1;");
  assert.equal(counts.compiled, 2);
  assert.equal(fs.existsSync(cacheDir), false);
  fs.rmSync(root, { recursive: true, force: true });
});

test("a cell importing a relative module outside src/ is never stored, nor read", () => {
  assert.equal(cellCache.importsUnkeyed('import { a } from "./src/model/a";\nimport * as fs from "fs";\nimport { dfd } from "./danfo";'), false);
  for (const src of ['import { x } from "./mine";', 'import { y } from "../lib/y";', 'const z = require("./z");', 'import "./side-effect";']) {
    assert.equal(cellCache.importsUnkeyed(src), true, src);
  }
  const root = fakeRoot();
  const cacheDir = path.join(root, "cache");
  const { counts, create } = counting();
  const c = cellCache.cachedConverter(create, optionsFor(root, cacheDir));
  c.convert("", 'import { x } from "./mine";');
  c.convert("", 'import { x } from "./mine";');
  assert.equal(counts.compiled, 2);
  // The cells after it see that module through the declarations passed on: not stored either.
  c.convert('import { x } from "./mine";\n', "const y = x;");
  c.convert('import { x } from "./mine";\n', "const y = x;");
  assert.equal(counts.compiled, 4);
  assert.equal(stored(cacheDir), 0);
  fs.rmSync(root, { recursive: true, force: true });
});

test("an unwritable cache folder only means compiling", () => {
  const root = fakeRoot();
  const blocker = path.join(root, "file");
  fs.writeFileSync(blocker, "not a folder");
  const { counts, create } = counting();
  const c = cellCache.cachedConverter(create, optionsFor(root, path.join(blocker, "cells")));
  const r = c.convert("", "const x = 1;");
  assert.match(r.output, /const x = 1;/);
  c.convert("", "const x = 1;");
  assert.equal(counts.compiled, 2);
  fs.rmSync(root, { recursive: true, force: true });
});

test("a module cell (tslab's //%module) stops storing and reading for the rest of the kernel", () => {
  const root = fakeRoot();
  const cacheDir = path.join(root, "cache");
  const c = cellCache.cachedConverter(counting().create, optionsFor(root, cacheDir));
  c.convert("", "const x = 1;");
  assert.equal(stored(cacheDir), 1);
  c.addModule("mod", "export const m = 1;");
  const { counts, create } = counting();
  const d = cellCache.cachedConverter(create, optionsFor(root, cacheDir));
  d.addModule("mod", "declare global { const g: number }");
  d.convert("", "const x = 1;");
  assert.equal(counts.compiled, 1, "not read back after a module cell");
  d.convert("", "const z = 2;");
  assert.equal(stored(cacheDir), 1, "nothing stored after a module cell");
  fs.rmSync(root, { recursive: true, force: true });
});

test("src/ edited while a kernel runs: the next cell is keyed by the new files, and a compile the edit overlapped is not stored", () => {
  const root = fakeRoot();
  const cacheDir = path.join(root, "cache");
  const file = path.join(root, "src", "model", "a.ts");
  const { counts, create } = counting();
  const c = cellCache.cachedConverter(create, optionsFor(root, cacheDir));
  c.convert("", "const x = a;");
  fs.writeFileSync(file, "export const a = 'changed';\n");
  c.convert("", "const x = a;");
  assert.equal(counts.compiled, 2, "compiled again against the edited src/");
  fs.writeFileSync(file, "export const a = 1;\n");
  c.convert("", "const x = a;");
  assert.equal(counts.compiled, 2, "the original files again: read back");
  const before = stored(cacheDir);
  let edits = 0;
  const editing = counting(() => fs.writeFileSync(file, `export const a = ${10 + ++edits};\n`));
  cellCache.cachedConverter(editing.create, optionsFor(root, cacheDir)).convert("", "const w = a;");
  assert.equal(editing.counts.compiled, 1);
  assert.equal(stored(cacheDir), before, "not stored: src/ changed during the compile");
  fs.rmSync(root, { recursive: true, force: true });
});
