/** Writes the Technical Log Information package: one unsorted JSON file per event type. */
import * as fs from "fs";
import * as path from "path";
import { Catalog } from "./catalog";
import { DEVICES } from "./devices";
import { TECH_TYPES, TechNaming, TechType, pdfBytes } from "./options";
import { Rand } from "./rand";
import { HOUR_MS } from "./time";

/** A TechEvent's `type`: the event type's index into TECH_TYPES (the order the files are written in). */
const typeIndex = (type: TechType): number => TECH_TYPES.indexOf(type);
export const T_CONN_ERR = typeIndex("ConnectionError");
export const T_PLAY_ERR = typeIndex("PlaybackError");
export const T_STUTTER = typeIndex("Stutter");
export const T_NOT_PLAYED = typeIndex("TrackNotPlayed");
export const T_CONN_INFO = typeIndex("ConnectionInfo");
export const T_RAW = typeIndex("RawCoreStream");
export const T_DOWNLOAD = typeIndex("Download");

/** A compact event, rendered only at the end. `aux`: the track index for play-related events. */
export interface TechEvent {
  type: number;
  t: number;
  device: number;
  country: string;
  aux: number;
}

const APP_VERSIONS: ReadonlyArray<[number, string]> = [
  [Date.UTC(2024, 0, 1), "8.7.78.373"],
  [Date.UTC(2025, 0, 1), "8.8.96.364"],
  [Infinity, "8.9.10.612"],
];

export function writeTech(dir: string, events: TechEvent[], naming: TechNaming, rng: Rand, catalog: Catalog): Record<TechType, number> {
  const byType: TechEvent[][] = TECH_TYPES.map(() => []);
  for (const e of events) byType[e.type].push(e);
  const counts = {} as Record<TechType, number>;
  const gid = (i: number): string => {
    const r = new Rand(0x7ec4 + i);
    return r.hex(32);
  };
  TECH_TYPES.forEach((type, ti) => {
    const list = byType[ti];
    // Real technical-log files are unsorted.
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    const objs = list.map((e) => {
      const d = DEVICES[e.device].env;
      const o: Record<string, unknown> = {
        timestamp_utc: new Date(e.t).toISOString(),
        context_time: e.t,
        context_receiver_service_timestamp: e.t + (rng.chance(0.03) ? rng.int(1, 36) * HOUR_MS : rng.int(150, 30_000)),
        context_application_version: APP_VERSIONS.find(([until]) => e.t < until)![1],
        context_conn_country: e.country,
        context_device_manufacturer: d.manufacturer,
        context_device_model: d.model,
        context_device_type: d.type,
        context_os_name: d.os,
        context_os_version: d.osVersion(e.t),
      };
      const track = catalog.tracks[e.aux];
      switch (e.type) {
        case T_CONN_ERR:
          o.message_ap = `ap-gew4.spotify.com:${rng.pick([443, 4070, 80])}`;
          o.message_error_code = rng.pick([-101, -103, -105, -110, 10054]);
          o.message_proxy = rng.chance(0.9) ? "" : null;
          break;
        case T_PLAY_ERR:
          o.message_error_code = rng.pick([1002, 1004, 2001, 4004]);
          o.message_fatal = rng.chance(0.7);
          o.message_bitrate = rng.pick([96000, 160000, 320000]);
          o.message_audiocodec = rng.pick(["vorbis", "aac", "mp3"]);
          o.message_file_id = rng.hex(40);
          o.message_track_id = gid(e.aux);
          o.message_playback_id = rng.hex(32);
          o.message_position_ms = 0;
          o.message_external_track = false;
          break;
        case T_STUTTER:
          o.message_playback_id = rng.hex(32);
          o.message_track_id = gid(e.aux);
          o.message_position_ms = rng.int(0, 200_000);
          o.message_stutter_duration_ms = rng.int(80, 4000);
          break;
        case T_NOT_PLAYED:
          o.message_playback_id = rng.hex(32);
          o.message_track_uri = track.uri;
          o.message_reason_start = rng.pick(["clickrow", "trackdone", "fwdbtn"]);
          o.message_reason_end = rng.pick(["trackerror", "endplay"]);
          o.message_reason_not_played = rng.pick(["content_unavailable", "network_error", "cancelled"]);
          break;
        case T_CONN_INFO:
          o.message_ap = "ap-gew4.spotify.com:4070";
          o.message_connection_type = rng.pick(["wifi", "wifi", "mobile", "ethernet"]);
          o.message_latency_ms = rng.int(12, 180);
          break;
        case T_RAW:
          o.message_playback_id = rng.hex(32);
          o.message_media_type = "audio";
          o.message_bitrate = rng.pick([96000, 160000, 320000]);
          break;
        case T_DOWNLOAD:
          o.message_file_id = rng.hex(40);
          o.message_bytes = rng.int(2_000_000, 12_000_000);
          break;
      }
      return o;
    });
    counts[type] = objs.length;
    const file = naming === "hourly" ? `${type}_Hourly.json` : `${type}.json`;
    // One compact event per line keeps the committed sample small.
    fs.writeFileSync(path.join(dir, file), objs.length ? "[\n" + objs.map((o) => JSON.stringify(o)).join(",\n") + "\n]" : "[]");
  });
  fs.writeFileSync(path.join(dir, "ReadMeFirst_TechnicalLogInformation.pdf"), pdfBytes("Read Me First: Technical Log Information"));
  return counts;
}
