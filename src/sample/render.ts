/**
 * Renders one extended-history record straight to JSON text. Most of a record is constant
 * within a session, so rendered segments are cached (the hot path for 1M plays; fewer string
 * pieces also means far less garbage). Also counts the schema variants written.
 */
import { FIELD, q } from "./catalog";
import { AUDIOBOOK_FROM, IP_RENAME_FROM, RowKind } from "./options";

/** One rendered record: its JSON text, its `ts` in ms and what it is. */
export interface Row {
  text: string;
  tsMs: number;
  kind: RowKind;
}

/** Everything a record says, before rendering. */
export interface Rec {
  startMs: number;
  ms: number;
  kind: RowKind;
  platform: string;
  country: string;
  ipJson: string;
  trackFields: string;
  episode: [string | null, string | null, string | null];
  audiobook: [string | null, string | null, string | null, string | null];
  reasonStart: string;
  reasonEnd: string | null;
  shuffle: boolean;
  skipped: boolean;
  offline: boolean;
  offlineTs: number | null;
  incognito: boolean;
}

export interface Variants {
  oldIpFields: number;
  newIpField: number;
  audiobookFields: number;
}

const NULL_EPISODE: Rec["episode"] = [null, null, null];
const NULL_BOOK: Rec["audiobook"] = [null, null, null, null];

function episodeSeg(e: Rec["episode"], book: Rec["audiobook"] | null): string {
  let s = FIELD + '"episode_name": ' + q(e[0]) + "," + FIELD + '"episode_show_name": ' + q(e[1]) + "," + FIELD + '"spotify_episode_uri": ' + q(e[2]) + ",";
  if (book) {
    s += FIELD + '"audiobook_title": ' + q(book[0]) + "," + FIELD + '"audiobook_uri": ' + q(book[1]) + ",";
    s += FIELD + '"audiobook_chapter_uri": ' + q(book[2]) + "," + FIELD + '"audiobook_chapter_title": ' + q(book[3]) + ",";
  }
  return s + FIELD + '"reason_start": "';
}
const NO_EPISODE_SEG = [episodeSeg(NULL_EPISODE, null), episodeSeg(NULL_EPISODE, NULL_BOOK)];
const OFFLINE_SEG = [false, true].map((v) => "," + FIELD + '"offline": ' + v + "," + FIELD + '"offline_timestamp": ');
const INCOGNITO_SEG = [false, true].map((v) => "," + FIELD + '"incognito_mode": ' + v + "\n    }");

export class RecordRenderer {
  readonly variants: Variants = { oldIpFields: 0, newIpField: 0, audiobookFields: 0 };
  private readonly segPlatform = [new Map<string, string>(), new Map<string, string>()];
  private readonly reasonEndSeg = [new Map<string, string>(), new Map<string, string>()];
  /** old flag, country, ipJson -> segment (the last one only: it changes once per session at most). */
  private lastConn = ["", "", "", ""];

  /** `usernameJson` / `uaJson`: JSON literals of the pre-rename identity fields. */
  constructor(
    private readonly usernameJson: string,
    private readonly uaJson: string,
  ) {}

  private connSeg(old: boolean, country: string, ipJson: string): string {
    const o = old ? "1" : "0";
    const last = this.lastConn;
    if (last[0] !== o || last[1] !== country || last[2] !== ipJson) {
      this.lastConn = [
        o,
        country,
        ipJson,
        "," + FIELD + '"conn_country": ' + q(country) + "," +
          (old ? FIELD + '"ip_addr_decrypted": ' + ipJson + "," + FIELD + '"user_agent_decrypted": ' + this.uaJson + "," : FIELD + '"ip_addr": ' + ipJson + ","),
      ];
    }
    return this.lastConn[3];
  }

  render(r: Rec): Row {
    const tsMs = Math.floor((r.startMs + r.ms) / 1000) * 1000;
    const old = tsMs < IP_RENAME_FROM;
    const withBook = tsMs >= AUDIOBOOK_FROM;
    if (old) this.variants.oldIpFields++;
    else this.variants.newIpField++;
    if (withBook) this.variants.audiobookFields++;
    const pm = this.segPlatform[old ? 1 : 0];
    let platformSeg = pm.get(r.platform);
    if (platformSeg === undefined) {
      platformSeg = (old ? FIELD + '"username": ' + this.usernameJson + "," : "") + FIELD + '"platform": ' + q(r.platform) + "," + FIELD + '"ms_played": ';
      pm.set(r.platform, platformSeg);
    }
    const noEpisode = r.episode[0] === null && r.episode[2] === null && r.audiobook[0] === null && r.audiobook[1] === null;
    const epSeg = noEpisode ? NO_EPISODE_SEG[withBook ? 1 : 0] : episodeSeg(r.episode, withBook ? r.audiobook : null);
    const rm = this.reasonEndSeg[r.shuffle ? 1 : 0];
    const endKey = r.reasonEnd ?? "";
    let endSeg = rm.get(endKey);
    if (endSeg === undefined) {
      endSeg = '",' + FIELD + '"reason_end": ' + q(r.reasonEnd) + "," + FIELD + '"shuffle": ' + r.shuffle + "," + FIELD + '"skipped": ';
      rm.set(endKey, endSeg);
    }
    const text =
      "    {" + FIELD + '"ts": "' + new Date(tsMs).toISOString().slice(0, 19) + 'Z",' + platformSeg + r.ms +
      this.connSeg(old, r.country, r.ipJson) + r.trackFields + epSeg + r.reasonStart + endSeg + r.skipped +
      OFFLINE_SEG[r.offline ? 1 : 0] + (r.offlineTs === null ? "null" : r.offlineTs) + INCOGNITO_SEG[r.incognito ? 1 : 0];
    return { text, tsMs, kind: r.kind };
  }
}
