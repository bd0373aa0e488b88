// Lint: typescript-eslint's type-checked recommended rules plus no-floating-promises
// (`npm run lint`; runs offline from node_modules).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "outputs/", "bench/cache/", "notebooks/", "data-sample/", "docs/", "jupyter/", "**/*.js", "**/*.mjs"] },
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
