/**
 * Options and notebook parameters refused before any work: each bad value gives one
 * paragraph naming the flag (CLI) or the variable (notebooks) and the fix, the CLI exits 1,
 * and nothing is written (the output folder is not even created).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { paramsFromEnv, parseRunOptions, RUN_OPTIONS } from "../src/pipeline/params";
import { DEFAULT_COMPARE_RULES } from "../src/ingest/label";
import { Command } from "commander";
import { assertCliUserError, runCli } from "./helpers/cli";
import { notebookEnv, runNotebook } from "../scripts/run-notebooks";
import { extendedExport, plays, tmpDir } from "./fixtures/bad/make-bad";

const SAMPLE = path.join(__dirname, "..", "data-sample");

function refusal(fn: () => unknown): string {
  let message = "";
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.equal(e.name, "UserInputError", e.stack);
    assert.ok(!e.message.includes("\n"), "one paragraph");
    message = e.message;
    return true;
  });
  return message;
}

type Case = { cli: string[]; env: Record<string, string>; cliMessage: string; envMessage: string };

const RULE_PROBLEM =
  'not a completion rule: use reason-end (reason_end is "trackdone", the default), played-30s (at least 30 s played) or played-fraction=F (at least F of the track\'s estimated length, 0 < F <= 1)';
const FRACTION_PROBLEM = "not a fraction F in played-fraction=F: F must be a number with 0 < F <= 1 (e.g. played-fraction=0.5 for half the track)";
const DATE_PROBLEM = "not a date: give YYYY-MM-DD (a UTC day, included) or an ISO timestamp with a zone such as 2023-06-01T18:00:00Z";

/** One bad value per surface of one option: `NAME "value": problem. Give for example NAME example.` (env: `NAME=example`). */
const VALUE_CASES: [flag: string, variable: string, cliValue: string, envValue: string, problem: string, example: string][] = [
  ["--top-n", "TOP_N", "-5", "-5", "the list length must be a whole number from 1 to 10000", "50"],
  ["--top-n", "TOP_N", "2.5", "0", "the list length must be a whole number from 1 to 10000", "50"],
  ["--seed", "SEED", "abc", "-1", "the seed must be a whole number from 0 to 4294967295", "42"],
  ["--seed", "SEED", "1e3", "4294967296", "the seed must be a whole number from 0 to 4294967295", "42"],
  ["--test-fraction", "TEST_FRACTION", "1", "0", "the test share must be a number between 0 and 1 (exclusive)", "0.2"],
  ["--validation-fraction", "VALIDATION_FRACTION", "NaN", "1.5", "the validation share must be a number between 0 and 1 (exclusive)", "0.1"],
  ["--timezone", "TIMEZONE", "Mars/Olympus_Mons", "Europe/Berln", "is not an IANA time zone name known to this Node.js (Intl)", "Europe/Berlin"],
  ["--backtest", "BACKTEST", "0", "21", "the number of backtest folds must be a whole number from 1 to 20", "1"],
  ["--label", "LABEL", "finished", "done", RULE_PROBLEM, "played-fraction=0.5"],
  ["--label", "LABEL", "played-fraction=0", "played-fraction=1.5", FRACTION_PROBLEM, "played-fraction=0.5"],
  ["--compare-labels", "COMPARE_LABELS", "bogus", "bogus", `"bogus" is ${RULE_PROBLEM}`, DEFAULT_COMPARE_RULES],
  ["--since", "SINCE", "2023-02-30", "yesterday", DATE_PROBLEM, "2021-01-01"],
  ["--until", "UNTIL", "soon", "2023-13-01", DATE_PROBLEM, "2024-06-30"],
];

/** Every case: the flags and variables given, and the exact message on each surface. */
function cases(exportDir: string, file: string): Case[] {
  const valueCases = VALUE_CASES.map(([flag, variable, cliValue, envValue, problem, example]): Case => ({
    cli: [flag, cliValue],
    env: { [variable]: envValue },
    cliMessage: `${flag} ${JSON.stringify(cliValue)}: ${problem}. Give for example ${flag} ${example}.`,
    envMessage: `${variable} ${JSON.stringify(envValue)}: ${problem}. Give for example ${variable}=${example}.`,
  }));
  const missing = path.join(path.dirname(file), "no-such-artists.txt");
  return [
    ...valueCases,
    {
      cli: ["--exclude-country", "GB", "--exclude-country", "Germany"], env: { EXCLUDE_COUNTRY: "GB,Germany" },
      cliMessage: '--exclude-country: "Germany" is not a two-letter country code (ISO 3166, e.g. GB, US, DE; ZZ for unknown). Give for example --exclude-country US.',
      envMessage: 'EXCLUDE_COUNTRY: "Germany" is not a two-letter country code (ISO 3166, e.g. GB, US, DE; ZZ for unknown). Give for example EXCLUDE_COUNTRY=US.',
    },
    {
      cli: ["--exclude-artists", missing], env: { EXCLUDE_ARTISTS: missing },
      cliMessage: `--exclude-artists ${JSON.stringify(missing)}: cannot be read (no such file); give a text file with one artist name per line.`,
      envMessage: `EXCLUDE_ARTISTS ${JSON.stringify(missing)}: cannot be read (no such file); give a text file with one artist name per line.`,
    },
    {
      cli: ["--since", "2023-06-01", "--until", "2023-05-31"], env: { SINCE: "2023-06-01", UNTIL: "2023-05-31" },
      cliMessage: "--since 2023-06-01T00:00:00.000Z is after --until 2023-05-31T23:59:59.999Z: no play could be kept. Swap or correct the dates.",
      envMessage: "SINCE 2023-06-01T00:00:00.000Z is after UNTIL 2023-05-31T23:59:59.999Z: no play could be kept. Swap or correct the dates.",
    },
    {
      cli: ["--backtest", "5", "--fold-fraction", "0.25"], env: { BACKTEST: "5", FOLD_FRACTION: "0.25" },
      cliMessage: "--backtest 5 with --fold-fraction 0.25 asks for 5 test blocks covering 125% of the labelled plays, leaving nothing to train the first fold on. Use fewer folds or a smaller --fold-fraction (their product must be below 1).",
      envMessage: "BACKTEST 5 with FOLD_FRACTION 0.25 asks for 5 test blocks covering 125% of the labelled plays, leaving nothing to train the first fold on. Use fewer folds or a smaller FOLD_FRACTION (their product must be below 1).",
    },
    {
      cli: ["--lenient", "--output-dir", file], env: { LENIENT: "maybe" },
      cliMessage: `--output-dir ${JSON.stringify(file)}: is an existing file, not a folder. Give a folder (it is created when missing), for example --output-dir outputs, or move the file away.`,
      envMessage: 'LENIENT "maybe": must be 1 or 0 (true or false). Give for example LENIENT=1.',
    },
    {
      cli: ["--output-dir", exportDir], env: { OUTPUT_DIR: exportDir },
      cliMessage: `--output-dir ${JSON.stringify(exportDir)}: is the export itself (--export). Give a separate folder for the outputs, for example --output-dir outputs.`,
      envMessage: `OUTPUT_DIR ${JSON.stringify(exportDir)}: is the export itself (SPOTIFY_EXPORT). Give a separate folder for the outputs, for example OUTPUT_DIR=outputs.`,
    },
    {
      cli: ["--output-dir", path.join(exportDir, "out")], env: { OUTPUT_DIR: path.join(exportDir, "a", "b") },
      cliMessage: `--output-dir ${JSON.stringify(path.join(exportDir, "out"))}: lies inside the export given with --export ("${exportDir}"). Keep the outputs outside the export, for example --output-dir outputs next to it.`,
      envMessage: `OUTPUT_DIR ${JSON.stringify(path.join(exportDir, "a", "b"))}: lies inside the export given with SPOTIFY_EXPORT ("${exportDir}"). Keep the outputs outside the export, for example OUTPUT_DIR=outputs next to it.`,
    },
    {
      cli: ["--output-dir", path.join(file, "sub")], env: { OUTPUT_DIR: path.join(file, "sub") },
      cliMessage: `--output-dir ${JSON.stringify(path.join(file, "sub"))}: cannot be created: "${file}" is a file, not a folder. Give another path.`,
      envMessage: `OUTPUT_DIR ${JSON.stringify(path.join(file, "sub"))}: cannot be created: "${file}" is a file, not a folder. Give another path.`,
    },
  ];
}

test("every bad option value: the CLI exits 1 with one paragraph naming the flag and the fix, and writes nothing", async () => {
  const exportDir = extendedExport(plays(30));
  const file = path.join(tmpDir(), "a-file.txt");
  fs.writeFileSync(file, "x");
  for (const c of cases(exportDir, file)) {
    const out = path.join(tmpDir(), "out");
    const args = ["--export", exportDir, ...(c.cli.includes("--output-dir") ? [] : ["--output-dir", out]), ...c.cli];
    const r = await runCli(args);
    const line = assertCliUserError(r);
    assert.equal(line, `error: ${c.cliMessage}`);
    assert.ok(!fs.existsSync(out), `${c.cli.join(" ")}: nothing written`);
    assert.deepEqual(fs.readdirSync(path.dirname(out)), [], "no probe or lock left beside it");
    assert.equal(fs.readFileSync(file, "utf8"), "x");
    assert.deepEqual(fs.readdirSync(exportDir), ["Spotify Extended Streaming History"], "nothing written into the export");
  }
});

test("the notebooks' parameters (paramsFromEnv) refuse the same values with the variable's name", () => {
  const exportDir = extendedExport(plays(30));
  const file = path.join(tmpDir(), "a-file.txt");
  fs.writeFileSync(file, "x");
  for (const c of cases(exportDir, file)) {
    const out = path.join(tmpDir(), "out");
    const env = { SPOTIFY_EXPORT: exportDir, OUTPUT_DIR: out, ...c.env };
    assert.equal(refusal(() => paramsFromEnv(env, { SPOTIFY_EXPORT: SAMPLE, OUTPUT_DIR: out })), c.envMessage);
    assert.ok(!fs.existsSync(out));
  }
});

test("missing inputs: no export at all, and a path that does not exist, on both surfaces", async () => {
  const out = path.join(tmpDir(), "out");
  const none = assertCliUserError(await runCli(["--output-dir", out]));
  assert.equal(none, "error: No export given: give --export PATH (the folder or the zip of your Spotify data export), or --account-dir / --extended-dir / --tech-dir for the package folders. See --help.");
  const missing = path.join(tmpDir(), "nope");
  for (const flag of ["--export", "--account-dir", "--extended-dir", "--tech-dir"]) {
    const line = assertCliUserError(await runCli([flag, missing, "--output-dir", out]));
    assert.equal(line, `error: ${flag} ${JSON.stringify(missing)}: does not exist (looked for ${missing}); check the spelling, or give the folder you unzipped the download into, or the zip itself.`);
  }
  assert.equal(
    refusal(() => paramsFromEnv({ SPOTIFY_TECH_DIR: missing }, { SPOTIFY_EXPORT: SAMPLE, OUTPUT_DIR: out })),
    `SPOTIFY_TECH_DIR ${JSON.stringify(missing)}: does not exist (looked for ${missing}); check the spelling, or give the folder you unzipped the download into, or the zip itself.`,
  );
  assert.ok(!fs.existsSync(out));
});

test("good values pass through unchanged; defaults match the notebooks' and the CLI's", () => {
  const out = path.join(tmpDir(), "out");
  const cli = parseRunOptions({ export: SAMPLE, outputDir: out, topN: "7", seed: "0", testFraction: "0.3", timezone: "Europe/Berlin", backtest: true, lenient: true }, "cli");
  assert.deepEqual(cli, {
    input: { export: SAMPLE, accountDir: undefined, extendedDir: undefined, techDir: undefined, lenient: true, label: { kind: "reason-end" } },
    outputDir: out,
    params: { seed: 0, testFraction: 0.3, validationFraction: 0.1, timezone: "Europe/Berlin", topN: 7 },
    backtest: { folds: 3, foldFraction: 0.1 },
    wait: false,
    cache: true,
    compareLabels: undefined,
  });
  const labels = parseRunOptions({ export: SAMPLE, outputDir: out, label: "played-fraction=0.8", compareLabels: true, excludePlatform: ["cast", "Console"], since: "2021-01-01" }, "cli");
  assert.deepEqual(labels.input.label, { kind: "played-fraction", fraction: 0.8 });
  assert.deepEqual(labels.compareLabels?.length, DEFAULT_COMPARE_RULES.split(",").length, "bare --compare-labels: the default list");
  assert.deepEqual(labels.input.filters, { excludePlatforms: ["cast", "Console"], sinceMs: Date.parse("2021-01-01T00:00:00Z") });
  const envLabels = paramsFromEnv({ LABEL: "played-30s", COMPARE_LABELS: "reason-end,played-30s", EXCLUDE_PLATFORM: '["Partner google cast_audio"]', EXCLUDE_COUNTRY: "gb, us", UNTIL: "2024-06-30" }, { SPOTIFY_EXPORT: SAMPLE, OUTPUT_DIR: out });
  assert.deepEqual(envLabels.input.label, { kind: "played-30s" });
  assert.deepEqual(envLabels.compareLabels, [{ kind: "reason-end" }, { kind: "played-30s" }]);
  assert.deepEqual(envLabels.input.filters, { excludePlatforms: ["Partner google cast_audio"], excludeCountries: ["GB", "US"], untilMs: Date.parse("2024-06-30T00:00:00Z") + 86_400_000 - 1 });
  assert.equal(parseRunOptions({ export: SAMPLE, outputDir: out, cache: false }, "cli").cache, false, "--no-cache");
  assert.equal(paramsFromEnv({ CACHE: "0" }, { SPOTIFY_EXPORT: SAMPLE, OUTPUT_DIR: out }).cache, false, "CACHE=0");
  const env = paramsFromEnv({ LENIENT: "0", TOP_N: " 12 " }, { SPOTIFY_EXPORT: SAMPLE, OUTPUT_DIR: out });
  assert.deepEqual(env.params, { seed: 42, testFraction: 0.2, validationFraction: 0.1, timezone: undefined, topN: 12 });
  assert.equal(env.input.export, SAMPLE);
  assert.equal(env.input.lenient, false);
  assert.equal(env.backtest, undefined);
  assert.ok(!fs.existsSync(out), "validation creates nothing");
});

test("the CLI's flags are the option table: commander's attribute names are the table keys", () => {
  const cmd = new Command();
  for (const [key, spec] of Object.entries(RUN_OPTIONS)) {
    cmd.option(`${spec.flag} ${spec.arg}`.trim(), spec.help);
    assert.equal(cmd.options[cmd.options.length - 1].attributeName(), key, spec.flag);
  }
});

test("a notebook given a bad parameter stops at its parameters cell with the same message", { timeout: 300_000 }, () => {
  const out = path.join(tmpDir(), "out");
  const source = path.join(__dirname, "..", "notebooks", "00_setup_check.ipynb");
  const run = runNotebook(source, path.join(tmpDir(), "00.ipynb"), notebookEnv({ OUTPUT_DIR: out, TOP_N: "-5" }), false);
  assert.equal(run.ok, false);
  const error = run.error ?? "";
  const cellSource = error.split("--- error ---")[0];
  assert.match(cellSource, /paramsFromEnv\(process\.env/, "the failing cell is the parameters cell");
  assert.ok(error.includes('TOP_N "-5": the list length must be a whole number from 1 to 10000. Give for example TOP_N=50.'), error);
  assert.ok(!fs.existsSync(out), "nothing written");
});
