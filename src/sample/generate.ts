/**
 * Deterministic synthetic Spotify export (see /work/shared/FORMATS.md for the real shapes).
 *
 * Plays are simulated in time order (./simulate.ts) and rendered straight to JSON text, one
 * file chunk (<= 15k records) at a time, so a 1M-play export never holds a million objects.
 * The completion signal lives in ./signal.ts; everything else is realistic mess. Each concern
 * draws from its own random stream (catalogue, simulation, file layout, tech log, account,
 * drifting effects). Each music play's true completion probability goes to TRUTH.csv beside
 * the packages (./truth.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { AccountWindow, writeAccount } from "./account-writer";
import { buildCatalog, drawDrift, q } from "./catalog";
import { ExtendedWriter } from "./extended-writer";
import { SampleManifest, buildManifest } from "./manifest";
import { PLANTED_PII } from "./names";
import { FOLDER_ACCOUNT, FOLDER_EXTENDED, FOLDER_TECH, GenerateOptions, resolveOptions } from "./options";
import { Rand, subSeed } from "./rand";
import { RecordRenderer } from "./render";
import { ListeningSimulation } from "./simulate";
import { ExportStats } from "./stats";
import { TechEvent, writeTech } from "./tech-writer";
import { DAY_MS, ZoneClock } from "./time";
import { TruthWriter } from "./truth";
import { World } from "./world";

export { CHANGES, FOLDER_ACCOUNT, FOLDER_EXTENDED, FOLDER_TECH, SAMPLE_DEFAULTS, TECH_TYPES, resolveOptions } from "./options";
export type { GenerateOptions, RowKind, TechNaming, TechType } from "./options";
export type { ManifestFile, SampleManifest } from "./manifest";

/** Three whole calendar months starting after ~40% of the span: real exports have such holes. */
function nullStretch(startMs: number, spanMs: number): [number, number] {
  const d = new Date(startMs + 0.4 * spanMs);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 4, 1);
  return [from, to];
}

/** Write a synthetic export (three package folders) under `options.outDir` and describe it. */
export function generateExport(options: GenerateOptions): SampleManifest {
  const opt = resolveOptions(options);
  const pii = opt.pii ? PLANTED_PII : null;
  const rngCat = new Rand(subSeed(opt.seed, 1));
  const rng = new Rand(subSeed(opt.seed, 2));
  const rngLayout = new Rand(subSeed(opt.seed, 3));
  const rngTech = new Rand(subSeed(opt.seed, 4));
  const rngAcc = new Rand(subSeed(opt.seed, 5));
  const rngDrift = new Rand(subSeed(opt.seed, 6));

  const catalog = buildCatalog(rngCat, opt.musicPlays);
  const drift = drawDrift(rngDrift, catalog);
  const dirs = {
    extended: path.join(options.outDir, FOLDER_EXTENDED),
    account: path.join(options.outDir, FOLDER_ACCOUNT),
    tech: path.join(options.outDir, FOLDER_TECH),
  };
  for (const d of [dirs.extended, dirs.account, dirs.tech]) fs.mkdirSync(d, { recursive: true });

  const startMs = Date.parse(opt.startDate + "T00:00:00Z");
  const spanMs = opt.years * 365.25 * DAY_MS;
  const [nullFrom, nullTo] = nullStretch(startMs, spanMs);

  const techEvents: TechEvent[] = [];
  const world = new World(rng, startMs, techEvents);
  const writer = new ExtendedWriter(dirs.extended, opt.recordsPerFile, rngLayout);
  const renderer = new RecordRenderer(q(pii ? pii.username : null), q(pii ? pii.userAgent : null));
  const account = new AccountWindow();
  const stats = new ExportStats();
  const truth = new TruthWriter(options.outDir);
  new ListeningSimulation(
    {
      catalog,
      rng,
      world,
      clock: new ZoneClock(),
      drift,
      midMs: startMs + spanMs / 2,
      ip: { ipv4: q(pii ? pii.ipv4 : null), ipv6: q(pii ? pii.ipv6 : null) },
      musicPlays: opt.musicPlays,
      startMs,
      nominalEnd: startMs + spanMs,
      nullFrom,
      nullTo,
    },
    { writer, renderer, account, techEvents, stats, truth },
  ).run();
  truth.close();
  const extended = writer.finish();
  world.ensureBursts(stats.lastEnd);

  const techCounts = writeTech(dirs.tech, techEvents, opt.techNaming, rngTech, catalog);
  const accountSummary = writeAccount(dirs.account, rngAcc, catalog, pii, startMs, stats.lastEnd, account);
  return buildManifest({
    options: opt,
    dirs,
    extended,
    stats,
    variants: renderer.variants,
    nullStretch: [nullFrom, nullTo],
    account: accountSummary,
    techCounts,
    connectionErrorBursts: world.bursts,
    catalog,
    pii,
    truthRows: truth.rows,
  });
}
