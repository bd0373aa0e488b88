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

/** The one record shape we read. Personal fields are deliberately absent. */
interface PlayRecord {
  ts?: unknown;
  ms_played?: unknown;
  platform?: unknown;
  conn_country?: unknown;
  master_metadata_track_name?: unknown;
  master_metadata_album_artist_name?: unknown;
  master_metadata_album_album_name?: unknown;
  spotify_track_uri?: unknown;
  reason_start?: unknown;
  reason_end?: unknown;
  shuffle?: unknown;
  offline?: unknown;
  incognito_mode?: unknown;
  skipped?: unknown;
  offline_timestamp?: unknown;
  episode_name?: unknown;
  episode_show_name?: unknown;
  spotify_episode_uri?: unknown;
  audiobook_title?: unknown;
  audiobook_uri?: unknown;
  audiobook_chapter_uri?: unknown;
  audiobook_chapter_title?: unknown;
}

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
  const p = first.platform;
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

export class ExtendedReader {
  readonly builder = new PlayBuilder();
  private readonly seen = new HashSet64(1 << 16);
  private readonly hasher = new KeyHasher();
  /** Codes for fields not stored in the table; only needed to make dedup keys exact. */
  private readonly side = new Interner();
  /**
   * Last track/artist/album codes seen with each track-URI code. A URI nearly always comes
   * with the same names, so these hints replace three Map lookups per row by string compares.
   */
  private hints = new Int32Array(3 * 4096).fill(-1);

  /** Appends one file's records. `video` marks a Streaming_History_Video file (all its rows are dropped as video). */
  readFile(records: unknown[], video: boolean): ExtendedFileStats {
    const b = this.builder;
    const d = b.dict;
    const h = this.hasher;
    const dropped: Record<DropReason, number> = { "invalid-record": 0, duplicate: 0, video: 0, audiobook: 0, podcast: 0, "no-track-uri": 0 };
    let firstInvalid: { index: number; field: string } | null = null;
    let firstRecord: Rec | null = null;
    let kept = 0;
    const invalid = (index: number, field: string): void => {
      dropped["invalid-record"]++;
      if (!firstInvalid) firstInvalid = { index, field };
    };

    for (let i = 0; i < records.length; i++) {
      const raw = records[i];
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        invalid(i, "(record is not an object)");
        continue;
      }
      const r = raw as PlayRecord;
      if (!firstRecord) firstRecord = raw as Rec;

      // --- validate: each field read once, by name (fast, monomorphic property loads) ---
      const ts = r.ts;
      if (typeof ts !== "string") {
        invalid(i, "ts");
        continue;
      }
      const endMs = parseUtcMs(ts);
      if (endMs !== endMs) {
        invalid(i, "ts");
        continue;
      }
      const ms = r.ms_played;
      if (typeof ms !== "number" || !(ms >= 0) || ms > MAX_MS_PLAYED) {
        invalid(i, "ms_played");
        continue;
      }
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
        invalid(i, firstBadField(r));
        continue;
      }

      // --- dedup key from exact codes ---
      const cUri = d.trackUri.code(uri);
      let cTrack: number;
      let cArtist: number;
      let cAlbum: number;
      if (cUri >= 0) {
        if (3 * cUri >= this.hints.length) {
          const grown = new Int32Array(this.hints.length * 2).fill(-1);
          grown.set(this.hints);
          this.hints = grown;
        }
        const hi = this.hints;
        const o = 3 * cUri;
        cTrack = hi[o] = d.trackName.codeHinted(track, hi[o]);
        cArtist = hi[o + 1] = d.artistName.codeHinted(artist, hi[o + 1]);
        cAlbum = hi[o + 2] = d.albumName.codeHinted(album, hi[o + 2]);
      } else {
        cTrack = d.trackName.code(track);
        cArtist = d.artistName.code(artist);
        cAlbum = d.albumName.code(album);
      }
      const cPlat = d.platformRaw.code(platform);
      const cCountry = d.connCountry.code(country);
      const cStart = d.reasonStart.code(rStart);
      const cEnd = d.reasonEnd.code(rEnd);
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
      h.addInt((tShuffle + 1) | ((tOffline + 1) << 2) | ((tIncognito + 1) << 4) | ((tSkipped + 1) << 6));
      h.addNumber(offTs);
      const side = this.side;
      h.addInt(side.code(epName));
      h.addInt(side.code(epShow));
      h.addInt(side.code(epUri));
      h.addInt(side.code(abTitle));
      h.addInt(side.code(abUri));
      h.addInt(side.code(abChUri));
      h.addInt(side.code(abChTitle));
      const episode = epName !== null || epShow !== null || epUri !== null;
      const audiobook = abTitle !== null || abUri !== null || abChUri !== null || abChTitle !== null;
      h.finish();
      if (!this.seen.add(h.a, h.b)) {
        dropped.duplicate++;
        continue;
      }

      // --- music only ---
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
      b.ts.push(ts);
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
      t.shuffle[row] = tShuffle;
      t.offline[row] = tOffline;
      t.incognito[row] = tIncognito;
      t.skipped[row] = tSkipped;
      kept++;
    }
    return { rows: records.length, kept, dropped, firstInvalid, variant: extendedVariant(firstRecord) };
  }
}
