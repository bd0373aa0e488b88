/**
 * danfojs for the notebooks. Its package.json declares its types only under "exports",
 * which tslab's node10 module resolution does not read; this module gives cells the
 * types (by relative path) and Node the real module (through "exports" at run time).
 */
export const dfd: typeof import("../node_modules/danfojs/dist/danfojs-browser/src/index") = require("danfojs");
