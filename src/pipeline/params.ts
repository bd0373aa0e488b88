/**
 * The knobs of a run and their validation, shared by the CLI (`--top-n 50`) and the
 * notebooks' parameters cell (`TOP_N=50`): one table of options, one parser per option,
 * so a bad value gets the same one-paragraph refusal on both surfaces, before any work.
 *
 * Adding an option: one entry in RUN_OPTIONS (flag, variable, help, parse), then map its
 * value in `runOptionsFrom`. The CLI builds its flags from the table.
 */
import * as fs from "fs";
import * as path from "path";
import { UserInputError } from "../common/errors";
import { validateTimeZone } from "../features/time";
import { readArtistsList, readCountryCode, readFilterDate } from "../ingest/filters";
import { DEFAULT_COMPARE_RULES, DEFAULT_LABEL_RULE, readLabelRule, readLabelRules } from "../ingest/label";
import type { IngestOptions, LabelRule, PlayFilters } from "../ingest/types";

export interface PipelineParams {
  /** Seed for every random choice (initialisation, shuffling). */
  seed: number;
  /** Share of labelled plays, latest by start time, held out as the test window. */
  testFraction: number;
  /** Share of the training window, latest by start time, used for early stopping and calibration. */
  validationFraction: number;
  /** IANA time zone for local-time features; default derived from the profile / conn_country. */
  timezone?: string;
  /** Length of the recommendation list. */
  topN: number;
}

export const DEFAULT_PARAMS: PipelineParams = {
  seed: 42,
  testFraction: 0.2,
  validationFraction: 0.1,
  topN: 50,
};

/** Where a value came from: a CLI flag or an environment variable (notebooks). Messages name it as the user wrote it. */
export type OptionSurface = "cli" | "env";

/** A value as given: text, a boolean for a switch / optional-value flag, a list for a repeatable option, undefined when absent. */
export type RawValue = string | boolean | string[] | undefined;

/** Why a value was refused: what is wrong and an example of a good value. */
export class OptionProblem extends Error {
  constructor(
    readonly problem: string,
    readonly example?: string,
  ) {
    super(problem);
  }
}

export interface OptionSpec<T> {
  /** CLI flag, e.g. "--top-n". Commander's camelCase of it must equal the table key. */
  flag: string;
  /** Environment variable read by the notebooks' parameters cell, e.g. "TOP_N"; absent: CLI only. */
  env?: string;
  /** Commander argument syntax: "<n>", "[folds]", or "" for a switch. */
  arg: string;
  help: string;
  /** Given once per value (`--exclude-platform cast --exclude-platform console`); the variable holds a comma-separated or JSON list. */
  repeatable?: boolean;
  /** Raw value → typed value (the default when absent); throws OptionProblem. */
  parse(raw: RawValue): T;
}

const option = <T>(spec: OptionSpec<T>): OptionSpec<T> => spec;

// ---------------------------------------------------------------- parsers

function text(raw: RawValue): string | undefined {
  if (typeof raw === "boolean") throw new OptionProblem("needs a value");
  if (Array.isArray(raw)) throw new OptionProblem("is given more than once; give it once");
  return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
}

/** A whole number in [min, max]. */
export function integerIn(min: number, max: number, fallback: number, what: string): (raw: RawValue) => number;
export function integerIn(min: number, max: number, fallback: undefined, what: string): (raw: RawValue) => number | undefined;
export function integerIn(min: number, max: number, fallback: number | undefined, what: string): (raw: RawValue) => number | undefined {
  return (raw) => {
    const t = text(raw);
    if (t === undefined) return fallback;
    const x = Number(t);
    if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(x) || x < min || x > max) {
      throw new OptionProblem(`${what} must be a whole number from ${min} to ${max}`, String(fallback ?? min));
    }
    return x;
  };
}

/** A number strictly between 0 and 1. */
export function fraction(fallback: number, what: string): (raw: RawValue) => number {
  return (raw) => {
    const t = text(raw);
    if (t === undefined) return fallback;
    const x = Number(t);
    if (!Number.isFinite(x) || x <= 0 || x >= 1) throw new OptionProblem(`${what} must be a number between 0 and 1 (exclusive)`, String(fallback));
    return x;
  };
}

/** on/off: a bare switch, or 1/0, true/false, yes/no (environment variables). */
export function flag(raw: RawValue): boolean {
  if (typeof raw === "boolean") return raw;
  const t = text(raw)?.toLowerCase() ?? "";
  if (t === "" || t === "0" || t === "false" || t === "no") return false;
  if (t === "1" || t === "true" || t === "yes") return true;
  throw new OptionProblem("must be 1 or 0 (true or false)", "1");
}

/** A path that exists (file or folder). */
export function existingPath(raw: RawValue): string | undefined {
  const t = text(raw);
  if (t === undefined) return undefined;
  if (!fs.existsSync(t)) throw new OptionProblem(`does not exist (looked for ${path.resolve(t)}); check the spelling, or give the folder you unzipped the download into, or the zip itself`);
  return t;
}

function timeZone(raw: RawValue): string | undefined {
  const t = text(raw);
  if (t === undefined) return undefined;
  try {
    return validateTimeZone(t);
  } catch {
    throw new OptionProblem("is not an IANA time zone name known to this Node.js (Intl)", "Europe/Berlin");
  }
}

/** The values of a repeatable option (each trimmed, blanks dropped). */
function list(raw: RawValue): string[] {
  if (typeof raw === "boolean") throw new OptionProblem("needs a value");
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return items.map((s) => s.trim()).filter(Boolean);
}

function labelRule(raw: RawValue): LabelRule {
  const t = text(raw);
  if (t === undefined) return DEFAULT_LABEL_RULE;
  const r = readLabelRule(t);
  if ("problem" in r) throw new OptionProblem(r.problem, "played-fraction=0.5");
  return r.rule;
}

/** `true` (bare flag): the default rules; "0", "none", "off": none (so a notebook can turn its default off). */
function labelRules(raw: RawValue): LabelRule[] | undefined {
  if (raw === true) return labelRules(DEFAULT_COMPARE_RULES);
  const t = text(raw);
  if (t === undefined || /^(0|none|off|false)$/i.test(t)) return undefined;
  const r = readLabelRules(t);
  if ("problem" in r) throw new OptionProblem(r.problem, DEFAULT_COMPARE_RULES);
  return r.rules;
}

function countries(raw: RawValue): string[] {
  return list(raw).map((c) => {
    const r = readCountryCode(c);
    if ("problem" in r) throw new OptionProblem(`"${c}" is ${r.problem}`, "US");
    return r.code;
  });
}

function filterDate(option: "since" | "until"): (raw: RawValue) => number | undefined {
  return (raw) => {
    const t = text(raw);
    if (t === undefined) return undefined;
    const r = readFilterDate(option, t);
    if ("problem" in r) throw new OptionProblem(r.problem, option === "since" ? "2021-01-01" : "2024-06-30");
    return r.ms;
  };
}

function artistsFile(raw: RawValue): { file: string; names: string[] } | undefined {
  const t = text(raw);
  if (t === undefined) return undefined;
  const r = readArtistsList(t);
  if ("problem" in r) throw new OptionProblem(r.problem);
  return { file: t, names: r.names };
}

// ---------------------------------------------------------------- the table

export const DEFAULT_BACKTEST_FOLDS = 3;
const MAX_SEED = 2 ** 32 - 1;

export const RUN_OPTIONS = {
  export: option({ flag: "--export", env: "SPOTIFY_EXPORT", arg: "<path>", help: "a folder holding the export packages, or the downloaded zip", parse: existingPath }),
  accountDir: option({ flag: "--account-dir", env: "SPOTIFY_ACCOUNT_DIR", arg: "<dir>", help: "the Account Data package folder", parse: existingPath }),
  extendedDir: option({ flag: "--extended-dir", env: "SPOTIFY_EXTENDED_DIR", arg: "<dir>", help: "the Extended Streaming History package folder", parse: existingPath }),
  techDir: option({ flag: "--tech-dir", env: "SPOTIFY_TECH_DIR", arg: "<dir>", help: "the Technical Log Information package folder", parse: existingPath }),
  outputDir: option({ flag: "--output-dir", env: "OUTPUT_DIR", arg: "<dir>", help: 'where to write the outputs (default "outputs")', parse: (raw: RawValue) => text(raw) ?? "outputs" }),
  seed: option({ flag: "--seed", env: "SEED", arg: "<n>", help: `seed for every random choice (0 to ${MAX_SEED}; default ${DEFAULT_PARAMS.seed})`, parse: integerIn(0, MAX_SEED, DEFAULT_PARAMS.seed, "the seed") }),
  testFraction: option({
    flag: "--test-fraction", env: "TEST_FRACTION", arg: "<x>",
    help: `share of labelled plays (latest by start time) held out for testing (default ${DEFAULT_PARAMS.testFraction})`,
    parse: fraction(DEFAULT_PARAMS.testFraction, "the test share"),
  }),
  validationFraction: option({
    flag: "--validation-fraction", env: "VALIDATION_FRACTION", arg: "<x>",
    help: `share of the training window used for early stopping and calibration (default ${DEFAULT_PARAMS.validationFraction})`,
    parse: fraction(DEFAULT_PARAMS.validationFraction, "the validation share"),
  }),
  timezone: option({ flag: "--timezone", env: "TIMEZONE", arg: "<zone>", help: "IANA time zone for local-time features (default: from the profile country)", parse: timeZone }),
  topN: option({ flag: "--top-n", env: "TOP_N", arg: "<n>", help: `length of the recommendation list (1 to 10000; default ${DEFAULT_PARAMS.topN})`, parse: integerIn(1, 10_000, DEFAULT_PARAMS.topN, "the list length") }),
  lenient: option({ flag: "--lenient", env: "LENIENT", arg: "", help: "skip a broken file with a warning instead of stopping", parse: flag }),
  backtest: option({
    flag: "--backtest", env: "BACKTEST", arg: "[folds]",
    help: `also run a rolling-origin backtest over this many cut points (1 to 20; default ${DEFAULT_BACKTEST_FOLDS})`,
    parse: (raw: RawValue) => (raw === true ? DEFAULT_BACKTEST_FOLDS : integerIn(1, 20, undefined, "the number of backtest folds")(raw)),
  }),
  foldFraction: option({ flag: "--fold-fraction", env: "FOLD_FRACTION", arg: "<x>", help: "share of labelled plays in each backtest test block (default 0.1)", parse: fraction(0.1, "the fold share") }),
  cache: option({
    flag: "--no-cache", env: "CACHE", arg: "",
    help: "recompute ingestion and features instead of loading them from OUTPUT_DIR/cache/ (also CACHE=0)",
    // commander: true unless --no-cache; the variable: on unless 0/false/no.
    parse: (raw: RawValue) => raw === undefined || flag(raw),
  }),
  wait: option({ flag: "--wait", arg: "", help: "when another run is writing to the output folder, wait for it instead of stopping", parse: flag }),
  label: option({
    flag: "--label", env: "LABEL", arg: "<rule>",
    help: 'what counts as finished: reason-end (reason_end is "trackdone", the default), played-30s, or played-fraction=F (at least F of the track\'s estimated length, 0 < F <= 1)',
    parse: labelRule,
  }),
  compareLabels: option({
    flag: "--compare-labels", env: "COMPARE_LABELS", arg: "[rules]",
    help: `also run these completion rules on the same split and write label_comparison.csv/json (default list: ${DEFAULT_COMPARE_RULES})`,
    parse: labelRules,
  }),
  excludePlatform: option({
    flag: "--exclude-platform", env: "EXCLUDE_PLATFORM", arg: "<name>", repeatable: true,
    help: "leave out plays from this platform family (android, ios, windows, macos, linux, web, cast, console, other, unknown) or exact raw platform string; repeatable",
    parse: list,
  }),
  excludeCountry: option({ flag: "--exclude-country", env: "EXCLUDE_COUNTRY", arg: "<cc>", repeatable: true, help: "leave out plays whose conn_country is this two-letter code; repeatable", parse: countries }),
  since: option({ flag: "--since", env: "SINCE", arg: "<date>", help: "leave out plays that started before this day (YYYY-MM-DD, UTC) or ISO timestamp", parse: filterDate("since") }),
  until: option({ flag: "--until", env: "UNTIL", arg: "<date>", help: "leave out plays that started after this day (YYYY-MM-DD, UTC, included) or ISO timestamp", parse: filterDate("until") }),
  excludeArtists: option({ flag: "--exclude-artists", env: "EXCLUDE_ARTISTS", arg: "<file>", help: "leave out plays by the artists listed in this text file, one name per line", parse: artistsFile }),
};

export type RunOptionName = keyof typeof RUN_OPTIONS;
/** Raw values by option, as commander or the environment hold them. */
export type RawRunOptions = Partial<Record<RunOptionName, RawValue>>;
type RunOptionValues = { [K in RunOptionName]: ReturnType<(typeof RUN_OPTIONS)[K]["parse"]> };

/** Everything a run needs, validated. */
export interface RunOptions {
  input: IngestOptions;
  outputDir: string;
  params: PipelineParams;
  backtest?: { folds: number; foldFraction: number };
  /** Wait for another run's lock on the output folder instead of refusing. */
  wait: boolean;
  /** Use the stage cache in the output folder. */
  cache: boolean;
  /** Completion rules to compare on the same split (`--compare-labels`). */
  compareLabels?: LabelRule[];
}

/** How the user writes option `name` on this surface, e.g. `--top-n` or `TOP_N`. */
export function optionName(name: RunOptionName, surface: OptionSurface): string {
  const spec: OptionSpec<unknown> = RUN_OPTIONS[name];
  return surface === "env" && spec.env ? spec.env : spec.flag;
}

function example(name: RunOptionName, surface: OptionSurface, value: string): string {
  const shown = /\s/.test(value) ? JSON.stringify(value) : value;
  return surface === "env" ? `${optionName(name, surface)}=${shown}` : `${optionName(name, surface)} ${shown}`;
}

function refusal(name: RunOptionName, surface: OptionSurface, raw: RawValue, problem: OptionProblem): UserInputError {
  const given = typeof raw !== "string" ? optionName(name, surface) : `${optionName(name, surface)} ${JSON.stringify(raw)}`;
  const fix = problem.example === undefined ? "" : ` Give for example ${example(name, surface, problem.example)}.`;
  return new UserInputError(`${given}: ${problem.problem}.${fix}`);
}

/**
 * Validates every option and the options together (inputs given, output folder usable),
 * touching nothing on disk. Throws a UserInputError naming the flag or variable and the fix.
 */
export function parseRunOptions(raw: RawRunOptions, surface: OptionSurface): RunOptions {
  const values = {} as Record<RunOptionName, unknown>;
  for (const name of Object.keys(RUN_OPTIONS) as RunOptionName[]) {
    const spec: OptionSpec<unknown> = RUN_OPTIONS[name];
    if (surface === "env" && !spec.env && raw[name] !== undefined) continue;
    try {
      values[name] = spec.parse(raw[name]);
    } catch (error) {
      if (error instanceof OptionProblem) throw refusal(name, surface, raw[name], error);
      throw error;
    }
  }
  return runOptionsFrom(values as RunOptionValues, surface);
}

function runOptionsFrom(v: RunOptionValues, surface: OptionSurface): RunOptions {
  const n = (name: RunOptionName) => optionName(name, surface);
  const inputs: [RunOptionName, string | undefined][] = [["export", v.export], ["accountDir", v.accountDir], ["extendedDir", v.extendedDir], ["techDir", v.techDir]];
  if (inputs.every(([, p]) => p === undefined)) {
    throw new UserInputError(`No export given: give ${n("export")} PATH (the folder or the zip of your Spotify data export), or ${n("accountDir")} / ${n("extendedDir")} / ${n("techDir")} for the package folders. See --help.`);
  }
  if (v.backtest !== undefined && v.backtest * v.foldFraction >= 1) {
    throw new UserInputError(
      `${n("backtest")} ${v.backtest} with ${n("foldFraction")} ${v.foldFraction} asks for ${v.backtest} test blocks covering ${Math.round(v.backtest * v.foldFraction * 100)}% of the labelled plays, leaving nothing to train the first fold on. Use fewer folds or a smaller ${n("foldFraction")} (their product must be below 1).`,
    );
  }
  if (v.since !== undefined && v.until !== undefined && v.since > v.until) {
    throw new UserInputError(`${n("since")} ${new Date(v.since).toISOString()} is after ${n("until")} ${new Date(v.until).toISOString()}: no play could be kept. Swap or correct the dates.`);
  }
  const filters: PlayFilters = {};
  if (v.excludePlatform.length) filters.excludePlatforms = v.excludePlatform;
  if (v.excludeCountry.length) filters.excludeCountries = v.excludeCountry;
  if (v.since !== undefined) filters.sinceMs = v.since;
  if (v.until !== undefined) filters.untilMs = v.until;
  if (v.excludeArtists) {
    filters.excludeArtists = v.excludeArtists.names;
    filters.artistsSource = path.basename(v.excludeArtists.file);
  }
  const given = inputs.filter(([, p]) => p !== undefined).map(([name, p]) => ({ option: n(name), path: p as string }));
  checkOutputFolder(v.outputDir, n("outputDir"), example("outputDir", surface, "outputs"), given);
  return {
    input: {
      export: v.export, accountDir: v.accountDir, extendedDir: v.extendedDir, techDir: v.techDir, lenient: v.lenient, label: v.label,
      ...(Object.keys(filters).length ? { filters } : {}),
    },
    outputDir: v.outputDir,
    params: { seed: v.seed, testFraction: v.testFraction, validationFraction: v.validationFraction, timezone: v.timezone, topN: v.topN },
    backtest: v.backtest === undefined ? undefined : { folds: v.backtest, foldFraction: v.foldFraction },
    wait: v.wait,
    cache: v.cache,
    compareLabels: v.compareLabels,
  };
}

/** The real path of `p`, resolving symlinks in its longest existing prefix (the rest may not exist yet). */
function realPathOf(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let head = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...rest.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return abs;
      rest.push(path.basename(head));
      head = parent;
    }
  }
}

/**
 * The output folder must be (or become) a writable folder outside every input: outputs are
 * derived personal data and must not be mixed into the export, and a file there is not a folder.
 */
export function checkOutputFolder(dir: string, name: string, good: string, inputs: { option: string; path: string }[]): void {
  const abs = path.resolve(dir);
  const refuse = (problem: string) => new UserInputError(`${name} ${JSON.stringify(dir)}: ${problem}`);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(abs);
  } catch {
    st = null;
  }
  if (st && !st.isDirectory()) throw refuse(`is an existing file, not a folder. Give a folder (it is created when missing), for example ${good}, or move the file away.`);
  const real = realPathOf(abs);
  for (const input of inputs) {
    const inputReal = realPathOf(input.path);
    if (real === inputReal) throw refuse(`is the export itself (${input.option}). Give a separate folder for the outputs, for example ${good}.`);
    if (real.startsWith(inputReal + path.sep)) {
      throw refuse(`lies inside the export given with ${input.option} ("${input.path}"). Keep the outputs outside the export, for example ${good} next to it.`);
    }
  }
  // The folder itself, or the nearest existing folder it would be created in, must be writable.
  let existing = abs;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) {
    throw refuse(`cannot be created: "${existing}" is a file, not a folder. Give another path.`);
  }
  // A probe folder, removed at once: access() says yes to root even on a read-only mount or /proc.
  try {
    fs.rmdirSync(fs.mkdtempSync(path.join(existing, ".write-probe-")));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw refuse(`cannot be written: nothing can be created in "${existing}" (${code}). Give a folder you may write to, or change its permissions.`);
  }
}

/** A repeatable option's variable: comma-separated, or a JSON list of strings (for raw platform strings holding commas). */
function envList(variable: string, value: string): string[] {
  const t = value.trim();
  if (!t.startsWith("[")) return t.split(",");
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(t);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) {
    throw new UserInputError(`${variable} ${JSON.stringify(value)}: not a JSON list of strings. Give for example ${variable}=cast,console or ${variable}='["Partner google cast_audio"]'.`);
  }
  return parsed as string[];
}

/** The raw values of every option that has an environment variable. */
export function rawFromEnv(env: NodeJS.ProcessEnv): RawRunOptions {
  const raw: RawRunOptions = {};
  for (const name of Object.keys(RUN_OPTIONS) as RunOptionName[]) {
    const spec: OptionSpec<unknown> = RUN_OPTIONS[name];
    const value = spec.env ? env[spec.env] : undefined;
    if (value !== undefined && value !== "") raw[name] = spec.repeatable ? envList(spec.env as string, value) : value;
  }
  return raw;
}

/** A notebook's parameters cell: literal defaults named as the environment variables that override them. */
export type NotebookParameters = { SPOTIFY_EXPORT: string; OUTPUT_DIR: string } & { [variable: string]: string | number | readonly string[] };

/**
 * Parameters of a notebook: the literal defaults of its parameters cell (`SEED = 42`,
 * `EXCLUDE_PLATFORM = []`), each overridden by the environment variable of the same name,
 * all validated like the CLI's flags (RUN_OPTIONS). An empty string or list means "not set".
 * A bad value, or a cell constant that names no option, throws a UserInputError naming the
 * variable, so the notebook stops at its parameters cell.
 */
export function paramsFromEnv(env: NodeJS.ProcessEnv, cell: NotebookParameters): RunOptions {
  const raw = rawFromEnv(env);
  const byVariable = new Map<string, RunOptionName>();
  for (const name of Object.keys(RUN_OPTIONS) as RunOptionName[]) {
    const variable = RUN_OPTIONS[name].env;
    if (variable) byVariable.set(variable, name);
  }
  const INPUTS: RunOptionName[] = ["export", "accountDir", "extendedDir", "techDir"];
  // The export is one choice: variables naming any input replace all of the cell's inputs.
  const inputFromEnv = INPUTS.some((name) => raw[name] !== undefined);
  for (const [variable, value] of Object.entries(cell)) {
    const name = byVariable.get(variable);
    if (name === undefined) {
      throw new UserInputError(`The parameters cell sets ${variable}, which is not a parameter. Known: ${[...byVariable.keys()].join(", ")}. Check the spelling.`);
    }
    if (raw[name] !== undefined || (inputFromEnv && INPUTS.includes(name))) continue;
    const spec: OptionSpec<unknown> = RUN_OPTIONS[name];
    if (Array.isArray(value)) {
      if (!spec.repeatable) throw new UserInputError(`${variable} in the parameters cell is a list; it takes one value (a string or a number).`);
      if (value.length) raw[name] = [...(value as readonly string[])];
    } else if (String(value).trim() !== "") {
      raw[name] = spec.repeatable ? envList(variable, String(value)) : String(value);
    }
  }
  return parseRunOptions(raw, "env");
}
