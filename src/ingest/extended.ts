/**
 * Extended Streaming History records → PlayBuilder rows.
 *
 * Per record, in this order: validate (→ invalid-record), deduplicate over all
 * non-personal fields (→ duplicate), keep music only (→ video, audiobook, podcast,
 * no-track-uri). Personal fields (ip_addr, ip_addr_decrypted, username,
 * user_agent_decrypted) are never read.
 */
import { HashSet64, KeyHasher } from "./dedup";
import { Interner, PlayBuilder } from "./plays";
import { parseUtcMs } from "./time";

export const DROP_REASONS = ["invalid-record", "duplicate", "video", "audiobook", "podcast", "no-track-uri"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface ExtendedFileStats {
  rows: number;
  kept: number;
  dropped: Record<DropReason, number>;
  /** First invalid record: index and the field at fault (never its value). */
  firstInvalid: { index: number; field: string } | null;
  variant: string;
}

type Rec = Record<string, unknown>;

/**
 * Longest believable ms_played (30 days). Larger values are damage: a start time of
 * `ts - ms_played` decades or millennia earlier (or outside the Date range) would wreck
 * sessions, the split and every date shown.
 */
export const MAX_MS_PLAYED = 30 * 24 * 3600 * 1000;

/**
 * The fields of a play record that are read, in the order recent exports write them.
 * Personal fields are deliberately absent.
 */
export const RECORD_FIELDS = [
  "ts", "platform", "ms_played", "conn_country", "master_metadata_track_name", "master_metadata_album_artist_name",
  "master_metadata_album_album_name", "spotify_track_uri", "episode_name", "episode_show_name", "spotify_episode_uri",
  "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title", "reason_start", "reason_end",
  "shuffle", "skipped", "offline", "offline_timestamp", "incognito_mode",
] as const;

/** One record as read: every field may be missing or of any type until validated. */
export type PlayRecord = { [K in (typeof RECORD_FIELDS)[number]]?: unknown };

/** null/undefined → null, string → itself, anything else → BAD. */
const BAD = Symbol("bad");
function optStr(v: unknown): string | null | typeof BAD {
  return typeof v === "string" ? v : v == null ? null : BAD;
}
function optBool(v: unknown): number | typeof BAD {
  return v === true ? 1 : v === false ? 0 : v == null ? -1 : BAD;
}

/** Describes which schema generation a file is from, by the keys of its first record. */
export function extendedVariant(first: Rec | null): string {
  if (!first) return "no records";
  const parts: string[] = [];
  if ("ip_addr_decrypted" in first || "username" in first) parts.push("ip_addr_decrypted+username (pre-Nov-2024)");
  else if ("ip_addr" in first) parts.push("ip_addr (Nov-2024+)");
  else parts.push("no IP field");
  if ("audiobook_title" in first || "audiobook_uri" in first) parts.push("audiobook fields (2025+)");
  return parts.join(", ");
}

const STRING_FIELDS = [
  "spotify_track_uri", "master_metadata_track_name", "master_metadata_album_artist_name", "master_metadata_album_album_name",
  "platform", "conn_country", "reason_start", "reason_end", "episode_name", "episode_show_name", "spotify_episode_uri",
  "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title",
] as const;
const BOOL_FIELDS = ["shuffle", "offline", "incognito_mode", "skipped"] as const;

/** Name of the first wrong-typed field (slow path, only for invalid records). */
function firstBadField(r: PlayRecord): string {
  const rec = r as Rec;
  for (const f of STRING_FIELDS) if (optStr(rec[f]) === BAD) return f;
  for (const f of BOOL_FIELDS) if (optBool(rec[f]) === BAD) return f;
  return "offline_timestamp";
}

/**
 * One file's records after validation, in a compact form another thread can send:
 * the valid records only, in file order, with strings replaced by codes into
 * per-chunk tables (built by `parseChunk`, consumed by `ExtendedReader.readChunk`).
 */
export interface ExtendedChunk {
  /** records.length, invalid ones included. */
  rows: number;
  invalid: number;
  firstInvalid: { index: number; field: string } | null;
  variant: string;
  /** Valid records. */
  n: number;
  endMs: Float64Array;
  msPlayed: Float64Array;
  /** offline_timestamp; NaN stands for null (valid values are finite). */
  offTs: Float64Array;
  /** shuffle/offline/incognito/skipped as (v + 1) in 2 bits each, as the dedup key packs them. */
  flags: Uint8Array;
  /** CHUNK_FIELDS.length codes per record (-1 = null) into `strings` (CHUNK_TABLE_OF). */
  codes: Int32Array;
  /** String tables: the 8 table columns, then one shared by the 7 side fields. */
  strings: string[][];
  /** Every valid record's ts, concatenated; `tsEnd[i]` is where record i's ends. */
  ts: string;
  tsEnd: Uint32Array;
}

/** Fields coded in a chunk, in the order readFile interns them. */
const CHUNK_FIELDS = [
  "spotify_track_uri", "master_metadata_track_name", "master_metadata_album_artist_name", "master_metadata_album_album_name",
  "platform", "conn_country", "reason_start", "reason_end",
  "episode_name", "episode_show_name", "spotify_episode_uri", "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title",
] as const;
const NF = CHUNK_FIELDS.length;
const SIDE_TABLE = 8;

/**
 * Validates records exactly as `ExtendedReader.readFile` does (same checks, same order, same
 * first invalid field) and codes the valid ones into an ExtendedChunk. Fed record by record
 * by `parseChunk` (parsed JSON) and by `scanExtendedArray` (./scan, straight from the bytes),
 * so both share this one implementation. No dedup here: that needs every earlier file, so it
 * runs where the chunks are consumed.
 */
export class ChunkCoder {
  private cap: number;
  private endMs: Float64Array;
  private msPlayed: Float64Array;
  private offTs: Float64Array;
  private flags: Uint8Array;
  private codes: Int32Array;
  private tsEnd: Uint32Array;
  private readonly tables: Interner[] = [];
  private readonly tsParts: string[] = [];
  private tsLen = 0;
  private rows = 0;
  private invalid = 0;
  private firstInvalid: { index: number; field: string } | null = null;
  private n = 0;

  /** `capacity`: records expected (the arrays grow past it). */
  constructor(capacity: number) {
    this.cap = Math.max(16, capacity);
    this.endMs = new Float64Array(this.cap);
    this.msPlayed = new Float64Array(this.cap);
    this.offTs = new Float64Array(this.cap);
    this.flags = new Uint8Array(this.cap);
    this.codes = new Int32Array(this.cap * NF);
    this.tsEnd = new Uint32Array(this.cap);
    for (let k = 0; k <= SIDE_TABLE; k++) this.tables.push(new Interner());
  }

  /** A record that is not a JSON object (counted as invalid). */
  addNonObject(): void {
    this.rows++;
    this.markInvalid("(record is not an object)");
  }

  /** One record, the next in file order. It is read here and not kept. */
  add(r: PlayRecord): void {
    this.rows++;
    const ts = r.ts;
    if (typeof ts !== "string") return this.markInvalid("ts");
    const endMs = parseUtcMs(ts);
    if (endMs !== endMs) return this.markInvalid("ts");
    const ms = r.ms_played;
    if (typeof ms !== "number" || !(ms >= 0) || ms > MAX_MS_PLAYED) return this.markInvalid("ms_played");
    const uri = optStr(r.spotify_track_uri);
    const track = optStr(r.master_metadata_track_name);
    const artist = optStr(r.master_metadata_album_artist_name);
    const album = optStr(r.master_metadata_album_album_name);
    const platform = optStr(r.platform);
    const country = optStr(r.conn_country);
    const rStart = optStr(r.reason_start);
    const rEnd = optStr(r.reason_end);
    const tShuffle = optBool(r.shuffle);
    const tOffline = optBool(r.offline);
    const tIncognito = optBool(r.incognito_mode);
    const tSkipped = optBool(r.skipped);
    const epName = optStr(r.episode_name);
    const epShow = optStr(r.episode_show_name);
    const epUri = optStr(r.spotify_episode_uri);
    const abTitle = optStr(r.audiobook_title);
    const abUri = optStr(r.audiobook_uri);
    const abChUri = optStr(r.audiobook_chapter_uri);
    const abChTitle = optStr(r.audiobook_chapter_title);
    const offRaw = r.offline_timestamp;
    const offTs = typeof offRaw === "number" && Number.isFinite(offRaw) ? offRaw : offRaw == null ? null : BAD;
    if (
      uri === BAD || track === BAD || artist === BAD || album === BAD || platform === BAD || country === BAD ||
      rStart === BAD || rEnd === BAD || tShuffle === BAD || tOffline === BAD || tIncognito === BAD || tSkipped === BAD ||
      epName === BAD || epShow === BAD || epUri === BAD || abTitle === BAD || abUri === BAD || abChUri === BAD ||
      abChTitle === BAD || offTs === BAD
    ) {
      return this.markInvalid(firstBadField(r));
    }
    const n = this.n;
    if (n === this.cap) this.grow();
    this.endMs[n] = endMs;
    this.msPlayed[n] = ms;
    this.offTs[n] = offTs === null ? NaN : offTs;
    this.flags[n] = (tShuffle + 1) | ((tOffline + 1) << 2) | ((tIncognito + 1) << 4) | ((tSkipped + 1) << 6);
    const [tUri, tTrack, tArtist, tAlbum, tPlat, tCountry, tStart, tEnd, tSide] = this.tables;
    const codes = this.codes;
    const o = n * NF;
    codes[o] = tUri.code(uri);
    codes[o + 1] = tTrack.code(track);
    codes[o + 2] = tArtist.code(artist);
    codes[o + 3] = tAlbum.code(album);
    codes[o + 4] = tPlat.code(platform);
    codes[o + 5] = tCountry.code(country);
    codes[o + 6] = tStart.code(rStart);
    codes[o + 7] = tEnd.code(rEnd);
    codes[o + 8] = tSide.code(epName);
    codes[o + 9] = tSide.code(epShow);
    codes[o + 10] = tSide.code(epUri);
    codes[o + 11] = tSide.code(abTitle);
    codes[o + 12] = tSide.code(abUri);
    codes[o + 13] = tSide.code(abChUri);
    codes[o + 14] = tSide.code(abChTitle);
    this.tsParts.push(ts);
    this.tsLen += ts.length;
    this.tsEnd[n] = this.tsLen;
    this.n = n + 1;
  }

  /** The chunk of every record added; `variant` describes the file (`extendedVariant`). */
  finish(variant: string): ExtendedChunk {
    const n = this.n;
    return {
      rows: this.rows,
      invalid: this.invalid,
      firstInvalid: this.firstInvalid,
      variant,
      n,
      endMs: this.endMs.slice(0, n),
      msPlayed: this.msPlayed.slice(0, n),
      offTs: this.offTs.slice(0, n),
      flags: this.flags.slice(0, n),
      codes: this.codes.slice(0, n * NF),
      strings: this.tables.map((t) => t.values),
      ts: this.tsParts.join(""),
      tsEnd: this.tsEnd.slice(0, n),
    };
  }

  /** The record just counted in `rows` is invalid; `field` is the one at fault. */
  private markInvalid(field: string): void {
    this.invalid++;
    if (!this.firstInvalid) this.firstInvalid = { index: this.rows - 1, field };
  }

  private grow(): void {
    this.cap *= 2;
    const bigger = <T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(a: T, make: new (n: number) => T, per = 1): T => {
      const b = new make(this.cap * per);
      b.set(a);
      return b;
    };
    this.endMs = bigger(this.endMs, Float64Array);
    this.msPlayed = bigger(this.msPlayed, Float64Array);
    this.offTs = bigger(this.offTs, Float64Array);
    this.flags = bigger(this.flags, Uint8Array);
    this.codes = bigger(this.codes, Int32Array, NF);
    this.tsEnd = bigger(this.tsEnd, Uint32Array);
  }
}

/** `ChunkCoder` over records already parsed from JSON. */
export function parseChunk(records: unknown[]): ExtendedChunk {
  const coder = new ChunkCoder(records.length);
  let first: Rec | null = null;
  for (const raw of records) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      coder.addNonObject();
      continue;
    }
    if (!first) first = raw as Rec;
    coder.add(raw);
  }
  return coder.finish(extendedVariant(first));
}

export class ExtendedReader {
  readonly builder = new PlayBuilder();
  private readonly seen = new HashSet64(1 << 16);
  private readonly hasher = new KeyHasher();
  /** Codes for fields not stored in the table; only needed to make dedup keys exact. */
  private readonly side = new Interner();

  /**
   * Appends one file's records. `video` marks a Streaming_History_Video file (all its rows are
   * dropped as video). Validation lives in `parseChunk` (which the parallel path runs in a
   * worker) and dedup/filter/append in `readChunk`, so both paths share one implementation.
   */
  readFile(records: unknown[], video: boolean): ExtendedFileStats {
    return this.readChunk(parseChunk(records), video);
  }

  /**
   * Appends the chunk `parseChunk(records)` made: codes are mapped to this reader's
   * dictionaries in record and field order, so every dictionary assigns the same codes in the
   * same order whichever thread parsed the file; then dedup, the music-only filters, append.
   */
  readChunk(chunk: ExtendedChunk, video: boolean): ExtendedFileStats {
    const b = this.builder;
    const d = b.dict;
    const h = this.hasher;
    const dropped: Record<DropReason, number> = { "invalid-record": chunk.invalid, duplicate: 0, video: 0, audiobook: 0, podcast: 0, "no-track-uri": 0 };
    const interners = [d.trackUri, d.trackName, d.artistName, d.albumName, d.platformRaw, d.connCountry, d.reasonStart, d.reasonEnd, this.side];
    const maps = chunk.strings.map((t) => new Int32Array(t.length).fill(-1));
    const strings = chunk.strings;
    const global = (k: number, local: number): number => {
      if (local < 0) return -1;
      const m = maps[k];
      let g = m[local];
      if (g < 0) g = m[local] = interners[k].code(strings[k][local]);
      return g;
    };
    const codes = chunk.codes;
    const side = new Int32Array(7);
    let kept = 0;
    let tsStart = 0;
    for (let i = 0; i < chunk.n; i++) {
      const o = i * NF;
      const tsEnd = chunk.tsEnd[i];
      const tsFrom = tsStart;
      tsStart = tsEnd;
      const endMs = chunk.endMs[i];
      const ms = chunk.msPlayed[i];
      const cUri = global(0, codes[o]);
      const cTrack = global(1, codes[o + 1]);
      const cArtist = global(2, codes[o + 2]);
      const cAlbum = global(3, codes[o + 3]);
      const cPlat = global(4, codes[o + 4]);
      const cCountry = global(5, codes[o + 5]);
      const cStart = global(6, codes[o + 6]);
      const cEnd = global(7, codes[o + 7]);
      for (let k = 0; k < 7; k++) side[k] = global(SIDE_TABLE, codes[o + 8 + k]);
      const flags = chunk.flags[i];
      const off = chunk.offTs[i];
      h.start();
      h.addNumber(endMs);
      h.addNumber(ms);
      h.addInt(cUri);
      h.addInt(cTrack);
      h.addInt(cArtist);
      h.addInt(cAlbum);
      h.addInt(cPlat);
      h.addInt(cCountry);
      h.addInt(cStart);
      h.addInt(cEnd);
      h.addInt(flags);
      h.addNumber(off !== off ? null : off);
      for (let k = 0; k < 7; k++) h.addInt(side[k]);
      const episode = side[0] >= 0 || side[1] >= 0 || side[2] >= 0;
      const audiobook = side[3] >= 0 || side[4] >= 0 || side[5] >= 0 || side[6] >= 0;
      h.finish();
      if (!this.seen.add(h.a, h.b)) {
        dropped.duplicate++;
        continue;
      }
      if (video) {
        dropped.video++;
        continue;
      }
      if (audiobook) {
        dropped.audiobook++;
        continue;
      }
      if (episode) {
        dropped.podcast++;
        continue;
      }
      if (cUri < 0 || d.trackUri.values[cUri] === "") {
        dropped["no-track-uri"]++;
        continue;
      }
      const row = b.addRow();
      b.ts.push(chunk.ts.slice(tsFrom, tsEnd));
      b.endMs[row] = endMs;
      b.msPlayed[row] = ms;
      const c = b.codes;
      c.trackUri[row] = cUri;
      c.trackName[row] = cTrack;
      c.artistName[row] = cArtist;
      c.albumName[row] = cAlbum;
      c.platformRaw[row] = cPlat;
      c.connCountry[row] = cCountry;
      c.reasonStart[row] = cStart;
      c.reasonEnd[row] = cEnd;
      const t = b.tri;
      t.shuffle[row] = (flags & 3) - 1;
      t.offline[row] = ((flags >> 2) & 3) - 1;
      t.incognito[row] = ((flags >> 4) & 3) - 1;
      t.skipped[row] = ((flags >> 6) & 3) - 1;
      kept++;
    }
    return { rows: chunk.rows, kept, dropped, firstInvalid: chunk.firstInvalid, variant: chunk.variant };
  }
}
