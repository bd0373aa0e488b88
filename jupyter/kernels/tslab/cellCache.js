// A cache of tslab's compiled cells (used by launch.js). tslab compiles a cell with
// `converter.convert(prevDecl, src)`: the declarations of the cells above it and its own text.
// Given the same folder and the same files the compiler reads (src/, the notebooks' own modules,
// the installed packages), the same Node, tslab and TypeScript, the result is the same, so it is
// stored and read back; the TypeScript program is created only for a cell not stored yet, or to
// inspect or complete code. A kernel whose cells are all stored boots in ~1 s of CPU instead of
// ~4-5 s and compiles no cell (each took 0.1-0.8 s).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

/** Every .ts/.js file under `dir` (recursively), sorted. */
function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(file));
    else if (/\.(ts|js)$/.test(entry.name)) out.push(file);
  }
  return out;
}

/**
 * A hash of what a cell's compilation reads besides its text and the declarations before it:
 * every file of `root`/src, the notebooks' own modules (`root`/notebooks/*.ts), npm's record of
 * the installed packages (node_modules/.package-lock.json: it changes with any install), the
 * `files` and the `versions` given (Node's, tslab's, TypeScript's).
 */
function compileEnvironment(root, files = [], versions = []) {
  const h = crypto.createHash("sha256");
  for (const file of compileInputs(root, files)) h.update(path.relative(root, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  for (const version of versions) h.update(String(version)).update("\0");
  return h.digest("hex");
}

/** The files `compileEnvironment` hashes. */
function compileInputs(root, files) {
  const notebooks = path.join(root, "notebooks");
  return [
    ...sourceFiles(path.join(root, "src")),
    ...fs.readdirSync(notebooks).filter((n) => n.endsWith(".ts")).sort().map((n) => path.join(notebooks, n)),
    path.join(root, "node_modules", ".package-lock.json"),
    ...files,
  ];
}

/**
 * A cheap stand-in for `compileEnvironment` between cells: the same files' names, sizes and
 * modification times. When it moves (src/ edited while the kernel runs), the hash is taken again.
 */
function compileStamp(root, files = []) {
  return compileInputs(root, files)
    .map((file) => {
      const st = fs.statSync(file);
      return `${file}:${st.size}:${st.mtimeMs}`;
    })
    .join("\n");
}

/** A relative import other than ./src/... or ./danfo: its file is in no key, so the cell is never stored. */
function importsUnkeyed(src) {
  const relative = /\b(?:from|import|require)\s*\(?\s*["'](\.{1,2}\/[^"']*)["']/g;
  for (const [, spec] of src.matchAll(relative)) {
    if (!/^\.{1,2}\/src\//.test(spec) && spec !== "./danfo") return true;
  }
  return false;
}

/**
 * A converter with tslab's interface that answers `convert` from `cacheDir` when it can and
 * otherwise from the converter `create()` makes (created on first need only).
 * @param options.environment returns `compileEnvironment`'s hash; taken again whenever
 *   `options.stamp()` (`compileStamp`) moves. If either throws (a file missing), nothing is
 *   stored or read.
 * Nothing is stored or read for a cell that imports a module outside the key (`importsUnkeyed`),
 * or after one did (the declarations it passes on name that module), nor once a module cell
 * (tslab's `//%module`, `addModule`) has run: it changes what later cells compile against.
 */
function cachedConverter(create, options) {
  let real = null;
  const converter = () => (real = real || create());
  let environment = null;
  let stamped = null;
  let modules = false;
  const stamp = () => {
    try {
      return options.stamp();
    } catch {
      return null;
    }
  };
  const keyOf = (prevDecl, src, now) => {
    if (modules || now === null || importsUnkeyed(prevDecl) || importsUnkeyed(src)) return null;
    if (now !== stamped) {
      try {
        environment = options.environment();
        stamped = now;
      } catch {
        return null;
      }
    }
    return crypto.createHash("sha256").update(environment).update("\0").update(process.cwd()).update("\0").update(prevDecl).update("\0").update(src).digest("hex");
  };
  return {
    convert(prevDecl, src) {
      const before = stamp();
      const key = keyOf(prevDecl, src, before);
      const file = key && path.join(options.cacheDir, `${key}.json`);
      if (file) {
        try {
          return JSON.parse(fs.readFileSync(file, "utf8"));
        } catch {
          // not stored yet (or unreadable): compile it
        }
      }
      const result = converter().convert(prevDecl, src);
      // Files edited during the compile: the result may be of either version, so it is not stored.
      if (file && stamp() === before) {
        try {
          fs.mkdirSync(options.cacheDir, { recursive: true });
          const tmp = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, JSON.stringify(result));
          fs.renameSync(tmp, file);
        } catch {
          // an unwritable cache only costs the next kernel the compile
        }
      }
      return result;
    },
    inspect: (...args) => converter().inspect(...args),
    complete: (...args) => converter().complete(...args),
    addModule: (...args) => {
      modules = true;
      return converter().addModule(...args);
    },
    close: () => real && real.close(),
  };
}

/** Makes tslab's `createConverter` return `cachedConverter`s for Node (not for the browser). */
function cacheCells(converterModule, options) {
  const create = converterModule.createConverter;
  converterModule.createConverter = (opts) => (opts && opts.isBrowser ? create(opts) : cachedConverter(() => create(opts), options));
}

module.exports = { cacheCells, cachedConverter, compileEnvironment, compileStamp, importsUnkeyed };
