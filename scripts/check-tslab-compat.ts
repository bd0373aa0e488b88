/**
 * Type-checks src/ the way tslab compiles notebook cells: its own TypeScript 5.0
 * (@tslab/typescript-for-tslab), node10 module resolution, NOT strict, ES2022 lib without
 * DOM. `tsc -p .` (TypeScript 5.9, strict) can pass while a notebook import fails, e.g.
 * `if (!result.ok)` narrows a union only under strictNullChecks.
 *   tsx scripts/check-tslab-compat.ts   → prints diagnostics, exit 1 if any
 */
import * as path from "path";
import * as fs from "fs";
import { createRequire } from "module";

export function tslabDiagnostics(root = path.resolve(__dirname, "..")): string[] {
  // tslab's own TypeScript (5.0), not the project's: loaded from tslab's dependencies.
  const load = createRequire(path.join(root, "node_modules", "tslab", "package.json"));
  const ts = load("@tslab/typescript-for-tslab") as typeof import("typescript");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) files.push(full);
    }
  };
  walk(path.join(root, "src"));
  files.push(path.join(root, "notebooks", "danfo.ts"));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
    typeRoots: [path.join(root, "node_modules", "@types")],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

if (require.main === module) {
  const problems = tslabDiagnostics();
  for (const p of problems) process.stderr.write(p + "\n");
  process.exit(problems.length ? 1 : 0);
}
