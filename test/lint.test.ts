/**
 * The lint habit, as a test so that every run of the suite checks it: typescript-eslint's
 * type-checked rules (eslint.config.mjs, the same as `npm run lint`) find nothing anywhere in
 * the repository, warnings included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { ESLint } from "eslint";

const root = path.join(__dirname, "..");

test("eslint finds nothing to fix (npm run lint: type-checked rules, zero warnings)", { timeout: 600_000 }, async () => {
  const results = await new ESLint({ cwd: root }).lintFiles(["."]);
  const findings = results.flatMap((r) =>
    r.messages.map((m) => `${path.relative(root, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? "eslint"}: ${m.message}`),
  );
  assert.ok(results.length > 100, `eslint read only ${results.length} files`);
  assert.equal(findings.length, 0, `${findings.length} lint finding(s); fix them (npm run lint shows the same list):\n${findings.join("\n")}`);
});
