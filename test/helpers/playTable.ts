/**
 * Test helpers: small PlayTables (and account / tech data) from plain objects.
 *
 *   const plays = makePlayTable([
 *     { start: "2024-01-01T10:00:00Z", track: "A", artist: "X", reasonEnd: "trackdone" },
 *     { start: "2024-01-01T10:03:00Z", msPlayed: 20_000, track: "B", reasonEnd: "fwdbtn" },
 *   ]);
 *
 * Rows are sorted like ingest does (start, then end, then input order); the label is
 * derived from reasonEnd exactly as the contract says (trackdone → 1, null/"unknown" → -1, else 0).
 */
import type { AccountData, DictColumn, PlayTable, TechEvents, TriBool } from "../../src/ingest/types";
import { dictColumnOf } from "../../src/ingest/types";

export interface PlayInput {
  /** START time: ISO string or epoch ms. */
  start: string | number;
  /** Default 180 000 (3 min). End = start + msPlayed. */
  msPlayed?: number;
  /** Track name; also makes the default URI `spotify:track:<track>`. Default "track". */
  track?: string | null;
  uri?: string | null;
  artist?: string | null;
  album?: string | null;
  /** Normalised family (android, ios, …). Default "android". */
  platform?: string | null;
  platformRaw?: string | null;
  country?: string | null;
  reasonStart?: string | null;
  /** Default "trackdone". null or "unknown" → unlabelled. */
  reasonEnd?: string | null;
  shuffle?: boolean | null;
  offline?: boolean | null;
  incognito?: boolean | null;
  skipped?: boolean | null;
}

const toMs = (t: string | number): number => (typeof t === "number" ? t : Date.parse(t));

const dict = dictColumnOf;

function tri(values: (boolean | null | undefined)[]): TriBool {
  return Int8Array.from(values, (v) => (v === true ? 1 : v === false ? 0 : -1));
}

/** A PlayTable from plain rows (sorted by start like ingest). */
export function makePlayTable(input: PlayInput[]): PlayTable {
  const rows = input.map((r, k) => {
    const startMs = toMs(r.start);
    if (!Number.isFinite(startMs)) throw new Error(`makePlayTable: bad start ${String(r.start)}`);
    const msPlayed = r.msPlayed ?? 180_000;
    return { r, k, startMs, msPlayed, endMs: startMs + msPlayed };
  });
  rows.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs || a.k - b.k);
  const get = <T>(f: (r: PlayInput) => T | undefined, dflt: T): T[] => rows.map(({ r }) => {
    const v = f(r);
    return v === undefined ? dflt : v;
  });
  const track = get((r) => r.track, "track");
  const uri = rows.map(({ r }, i) => (r.uri !== undefined ? r.uri : track[i] === null ? null : `spotify:track:${track[i]}`));
  const reasonEnd = get((r) => r.reasonEnd, "trackdone");
  const platform = get((r) => r.platform, "android");
  return {
    length: rows.length,
    ts: rows.map((x) => new Date(x.endMs).toISOString()),
    startMs: Float64Array.from(rows, (x) => x.startMs),
    endMs: Float64Array.from(rows, (x) => x.endMs),
    msPlayed: Float64Array.from(rows, (x) => x.msPlayed),
    trackUri: dict(uri),
    trackName: dict(track),
    artistName: dict(get((r) => r.artist, "artist")),
    albumName: dict(get((r) => r.album, "album")),
    platformRaw: dict(rows.map(({ r }, i) => (r.platformRaw !== undefined ? r.platformRaw : platform[i]))),
    platformFamily: dict(platform),
    connCountry: dict(get((r) => r.country, "DE")),
    reasonStart: dict(get((r) => r.reasonStart, "trackdone")),
    reasonEnd: dict(reasonEnd),
    shuffle: tri(rows.map(({ r }) => r.shuffle ?? false)),
    offline: tri(rows.map(({ r }) => r.offline ?? false)),
    incognito: tri(rows.map(({ r }) => r.incognito ?? false)),
    skipped: tri(rows.map(({ r }) => r.skipped)),
    completed: Int8Array.from(reasonEnd, (v) => (v === null || v === "unknown" ? -1 : v === "trackdone" ? 1 : 0)),
  };
}

export function makeAccount(overrides: Partial<AccountData> = {}): AccountData {
  return {
    country: null,
    creationMs: null,
    libraryTracks: [],
    bannedTrackUris: [],
    playlistCount: 0,
    playlistMemberships: [],
    ...overrides,
  };
}

/** Tech events from ISO strings or epoch ms (sorted for you). */
export function makeTech(events: Partial<Record<keyof TechEvents, (string | number)[]>> = {}): TechEvents {
  const series = (k: keyof TechEvents) => Float64Array.from((events[k] ?? []).map(toMs)).sort();
  return {
    connectionError: series("connectionError"),
    playbackError: series("playbackError"),
    stutter: series("stutter"),
    trackNotPlayed: series("trackNotPlayed"),
  };
}

/** `{ plays, account, tech }` in one call. */
export function makeData(rows: PlayInput[], extra: { account?: Partial<AccountData>; tech?: Parameters<typeof makeTech>[0] } = {}) {
  return { plays: makePlayTable(rows), account: makeAccount(extra.account), tech: makeTech(extra.tech) };
}

/** A deep copy of a PlayTable (typed arrays and dictionaries), for modify-and-compare tests. */
export function clonePlayTable(p: PlayTable): PlayTable {
  const d = (c: DictColumn): DictColumn => ({ codes: c.codes.slice(), values: c.values.slice() });
  return {
    length: p.length,
    ts: p.ts.slice(),
    startMs: p.startMs.slice(),
    endMs: p.endMs.slice(),
    msPlayed: p.msPlayed.slice(),
    trackUri: d(p.trackUri),
    trackName: d(p.trackName),
    artistName: d(p.artistName),
    albumName: d(p.albumName),
    platformRaw: d(p.platformRaw),
    platformFamily: d(p.platformFamily),
    connCountry: d(p.connCountry),
    reasonStart: d(p.reasonStart),
    reasonEnd: d(p.reasonEnd),
    shuffle: p.shuffle.slice(),
    offline: p.offline.slice(),
    incognito: p.incognito.slice(),
    skipped: p.skipped.slice(),
    completed: p.completed.slice(),
  };
}

/** Deterministic pseudo-random plays for property-style tests: overlaps, long gaps, nulls, unlabelled rows. */
export function randomPlays(seed: number, n: number, startIso = "2023-03-20T08:00:00Z"): PlayInput[] {
  let a = seed >>> 0; // mulberry32
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const reasons = ["trackdone", "trackdone", "trackdone", "fwdbtn", "fwdbtn", "backbtn", "endplay", "logout", null, "unknown"];
  const out: PlayInput[] = [];
  let t = Date.parse(startIso);
  for (let i = 0; i < n; i++) {
    const ms = rand() < 0.3 ? Math.floor(rand() * 30_000) : 60_000 + Math.floor(rand() * 240_000);
    const k = Math.floor(rand() * 40);
    out.push({
      start: t,
      msPlayed: ms,
      track: `t${k}`,
      artist: `a${k % 9}`,
      album: `al${k % 13}`,
      platform: pick(["android", "ios", "windows", null] as const),
      country: pick(["DE", "DE", "DE", "FR", "US", null] as const),
      reasonStart: pick(["trackdone", "clickrow", "fwdbtn", "playbtn", null] as const),
      reasonEnd: pick(reasons),
      shuffle: pick([true, false, null] as const),
      offline: pick([true, false, false] as const),
    });
    const u = rand();
    // mostly back-to-back, sometimes overlapping (two devices), sometimes a long break
    const gap = u < 0.1 ? -Math.floor(rand() * 120_000) : u < 0.85 ? Math.floor(rand() * 5_000) : Math.floor(rand() * 8 * 3_600_000);
    t = Math.max(t + 1, t + ms + gap);
  }
  return out;
}
