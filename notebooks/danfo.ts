/**
 * danfojs for the notebooks. Its package.json declares its types only under "exports",
 * which tslab's node10 module resolution does not read; this module gives cells the
 * types (by relative path) and Node the real module (through "exports" at run time).
 *
 * danfojs 1.2.0 also bundles its own @tensorflow/tfjs 3, which shares tfjs's global engine
 * and kernel registry with the project's tfjs 4 (the first registration wins). So the
 * project's tfjs is loaded first, keeping its engine and kernels in charge whatever the
 * import order in a cell, and tfjs 3's ~330 "already registered" warnings, which would
 * otherwise fill the notebook, are dropped while danfojs loads. Other warnings pass through.
 */
type Danfo = typeof import("../node_modules/danfojs/dist/danfojs-browser/src/index");

function loadDanfo(): Danfo {
  require("@tensorflow/tfjs");
  const duplicate = /^(The kernel '.+' for backend '.+' is already registered|.+ backend was already registered\. Reusing existing backend factory\.|Platform .+ has already been set\. Overwriting the platform with .+\.)$/;
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === "string" && duplicate.test(args[0])) return;
    warn.apply(console, args);
  };
  try {
    return require("danfojs");
  } finally {
    console.warn = warn;
  }
}

export const dfd: Danfo = loadDanfo();
