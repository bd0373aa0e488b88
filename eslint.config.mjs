// Lint: typescript-eslint's type-checked recommended rules plus no-floating-promises
// (`npm run lint`; runs offline from node_modules).
import tseslint from "typescript-eslint";

export default tseslint.config(
  // Plain JavaScript (this file, scripts/preload.cjs) is outside the TypeScript project: the
  // type-checked rules cannot read it.
  { ignores: ["node_modules/", "outputs/", "bench/cache/", "notebooks/", "data-sample/", "docs/", "jupyter/", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // node:test's test()/describe() return promises the runner awaits itself.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] }] },
      ],
    },
  },
);
