/**
 * The listening simulation: sessions in time order (music sessions, then podcast / local-file /
 * audiobook / video sessions in the gaps), each play's completion drawn from ./signal.ts, every
 * record rendered and handed to the extended writer as it is decided. Everything that depends
 * on the simulation's random stream is drawn here, in one fixed order.
 */
import { AccountWindow } from "./account-writer";
import { Catalog, Drift, NULL_TRACK_JSON, trackJson } from "./catalog";
import { IpJson, SessionCtx, Y2023, newSessionCtx } from "./devices";
import { ExtendedWriter } from "./extended-writer";
import { LOCAL_TRACKS } from "./names";
import { AUDIOBOOK_FROM, RowKind, SKIPPED_FROM } from "./options";
import { Rand, pickWeighted } from "./rand";
import { END_LAST, END_MID, FIRST_REASON, followReason } from "./reasons";
import { Rec, RecordRenderer, Row } from "./render";
import {
  COUNTRY_ZONE,
  DEVICE_SWITCH_CHANCE,
  LISTENER_TIMEZONE,
  MOOD_SD,
  PAUSE_CHANCE,
  PAUSE_MINUTES,
  PROFILE_COUNTRY,
  completionScore,
  drifted,
  sigmoid,
} from "./signal";
import { ExportStats } from "./stats";
import { T_CONN_INFO, T_DOWNLOAD, T_NOT_PLAYED, T_PLAY_ERR, T_RAW, T_STUTTER, TechEvent } from "./tech-writer";
import { World } from "./world";
import { DAY_MS, MINUTE_MS, ZoneClock, isoSecondsZ, utcMinute } from "./time";
import { TruthWriter } from "./truth";

/** Relative session-start intensity by local hour (night is rare but present so its effect is learnable). */
const START_HOUR_WEIGHT = [
  0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.4, 0.8, 1.0, 0.9, 0.8, 0.8,
  0.9, 0.9, 0.8, 0.9, 1.1, 1.4, 1.6, 1.7, 1.8, 1.7, 1.3, 0.8,
];
const START_HOUR_MAX = Math.max(...START_HOUR_WEIGHT);
const START_ACCEPT_MEAN = START_HOUR_WEIGHT.reduce((a, b) => a + b, 0) / 24 / START_HOUR_MAX;
const YEAR_MS = 365.25 * DAY_MS;
/** Expected music plays per session (55% short sessions of ~4.5, 45% long ones of ~23). */
const MEAN_SESSION_LEN = 0.55 * 4 + 0.45 * 22.5;

/** A play's own fields (the session supplies platform, connection and flags). */
type PlayFields = Pick<Rec, "startMs" | "ms" | "kind" | "country" | "trackFields" | "episode" | "audiobook" | "reasonStart" | "reasonEnd" | "shuffle">;

const NO_EPISODE: Rec["episode"] = [null, null, null];
const NO_BOOK: Rec["audiobook"] = [null, null, null, null];

/** Where the simulation sends what it decides. */
export interface SimulationSinks {
  writer: ExtendedWriter;
  renderer: RecordRenderer;
  account: AccountWindow;
  techEvents: TechEvent[];
  stats: ExportStats;
  /** TRUTH.csv lines (./truth.ts), one per music play in simulation order. */
  truth: TruthWriter;
}

export interface SimulationSetup {
  catalog: Catalog;
  /** The simulation's stream (subSeed 2). */
  rng: Rand;
  world: World;
  /** Local time in the zone the listener is in. */
  clock: ZoneClock;
  /** The catalogue's drifting effects and the middle of the history they are centred on. */
  drift: Drift;
  midMs: number;
  ip: IpJson;
  musicPlays: number;
  startMs: number;
  nominalEnd: number;
  /** The reason_end-null stretch, by start time ([from, to)). */
  nullFrom: number;
  nullTo: number;
}

export class ListeningSimulation {
  private music = 0;

  constructor(
    private readonly setup: SimulationSetup,
    private readonly sinks: SimulationSinks,
  ) {}

  /** Runs sessions until `musicPlays` music plays are written; returns the last clock time. */
  run(): number {
    const { rng, musicPlays: N, nominalEnd } = this.setup;
    let clock = this.setup.startMs;
    // Running estimate of a session's busy time (music + following non-music sessions), to pace towards nominalEnd.
    let avgBusyMs = MEAN_SESSION_LEN * 150_000;
    while (this.music < N) {
      // Session start: thinned Poisson process by local hour, paced to finish near nominalEnd.
      const remainingSessions = Math.max(1, (N - this.music) / MEAN_SESSION_LEN);
      const perSession = (nominalEnd - clock) / remainingSessions;
      const meanWait = Math.max(10 * MINUTE_MS, perSession - avgBusyMs - 32 * MINUTE_MS);
      let s = clock + 32 * MINUTE_MS;
      for (;;) {
        s += rng.exp(meanWait * START_ACCEPT_MEAN);
        // Sessions start by the hour of the clock the listener lives by (abroad: the local one).
      if (rng.next() * START_HOUR_MAX < START_HOUR_WEIGHT[this.setup.clock.parts(this.setup.world.zoneAt(s), s).hour]) break;
      }
      s = Math.floor(s);
      clock = this.musicSession(s);
      this.sinks.account.trim(clock);
      if (this.music >= N) break;
      if (rng.chance(0.1)) clock = this.nonMusicSession("podcast", clock);
      if (rng.chance(0.035)) clock = this.nonMusicSession("local", clock);
      if (clock >= AUDIOBOOK_FROM && rng.chance(0.5)) clock = this.nonMusicSession("audiobook", clock);
      if (rng.chance(0.025)) clock = this.nonMusicSession("video", clock);
      avgBusyMs += (clock - s - avgBusyMs) * 0.02;
    }
    return clock;
  }

  private newSessionCtx(t: number): SessionCtx {
    return newSessionCtx(this.setup.rng, t, this.setup.ip);
  }

  private maskReason(startT: number, trueEnd: string): string | null {
    if (startT >= this.setup.nullFrom - 10 * MINUTE_MS && startT < this.setup.nullTo) return null;
    return this.setup.rng.chance(0.006) ? "unknown" : trueEnd;
  }

  private skippedFlag(tsMs: number, completed: boolean, trueEnd: string): boolean {
    return tsMs >= SKIPPED_FROM && !completed && (trueEnd === "fwdbtn" || trueEnd === "backbtn") && this.setup.rng.chance(0.95);
  }

  private offlineTs(offline: boolean, t: number): number | null {
    if (!offline) return null;
    if (this.setup.rng.chance(0.03)) return 1;
    return t < Y2023 ? Math.floor(t / 1000) : t; // seconds in older rows, ms in newer ones
  }

  /** Renders a play with its session's fields and hands it to the extended writer. */
  private emit(play: PlayFields, ctx: SessionCtx, completed: boolean, trueEnd: string): Row {
    const rec: Rec = {
      startMs: play.startMs,
      ms: play.ms,
      kind: play.kind,
      platform: ctx.platform,
      country: play.country,
      ipJson: ctx.ipJson,
      trackFields: play.trackFields,
      episode: play.episode,
      audiobook: play.audiobook,
      reasonStart: play.reasonStart,
      reasonEnd: play.reasonEnd,
      shuffle: play.shuffle,
      skipped: this.skippedFlag(play.startMs + play.ms, completed, trueEnd),
      offline: ctx.offline,
      offlineTs: this.offlineTs(ctx.offline, play.startMs),
      incognito: ctx.incognito,
    };
    const row = this.sinks.renderer.render(rec);
    this.sinks.writer.add(row);
    return row;
  }

  /** The session's device after a switch: another one than `current` when a few draws find one. */
  private switchDevice(t: number, current: SessionCtx): SessionCtx {
    for (let k = 0; k < 4; k++) {
      const next = this.newSessionCtx(t);
      if (next.device !== current.device) return next;
    }
    return current;
  }

  /** One music session starting at `s`; returns the time after its last play. */
  private musicSession(s: number): number {
    const { rng, catalog, world, clock, drift, musicPlays: N } = this.setup;
    const { artists, tracks } = catalog;
    const { account, techEvents, stats, truth } = this.sinks;
    let ctx = this.newSessionCtx(s);
    const shuffle = rng.chance(0.42);
    const length = rng.chance(0.55) ? 1 + Math.floor(rng.exp(3.5)) : 8 + Math.floor(rng.exp(15));
    const mood = rng.normal() * MOOD_SD;
    if (rng.chance(0.6)) techEvents.push({ type: T_CONN_INFO, t: s - 1500, device: ctx.device, country: world.countryAt(s), aux: 0 });
    let prevTrack = -1;
    let prevPrevTrack = -1;
    let prevEnd = "";
    /** The device run: continuous playback on one device (a pause or a switch starts a new one). */
    let runPos = 0;
    let runPrevCompleted = true;
    let t = s;
    for (let pos = 1; pos <= length && this.music < N; pos++) {
      runPos++;
      const reasonStart = pos === 1 ? pickWeighted(rng, FIRST_REASON) : followReason(rng, prevEnd);
      let trackIdx: number;
      if (reasonStart === "backbtn" && prevTrack >= 0) {
        trackIdx = rng.chance(0.5) || prevPrevTrack < 0 ? prevTrack : prevPrevTrack;
      } else if (!shuffle && prevTrack >= 0 && (reasonStart === "trackdone" || reasonStart === "fwdbtn" || reasonStart === "trackerror") && rng.chance(0.65)) {
        // Album/artist context: next track of the same artist.
        const list = artists[tracks[prevTrack].artist].tracks;
        trackIdx = list[(list.indexOf(prevTrack) + 1) % list.length];
      } else {
        const a = rng.weighted(catalog.artistCum);
        trackIdx = rng.pick(artists[a].tracks);
      }
      const track = tracks[trackIdx];
      const years = (t - this.setup.midMs) / YEAR_MS;
      const taste = drifted(artists[track.artist].taste, drift.artistSlope[track.artist], years);
      const trackEffect = drifted(drift.trackLevel[trackIdx], drift.trackSlope[trackIdx], years);
      const country = world.countryAt(t);
      const zone = COUNTRY_ZONE[country];
      const errorRecent = world.connectionErrorBefore(t);
      const local = clock.parts(zone, t);
      const weekend = local.weekday === 0 || local.weekday === 6;
      const p = sigmoid(
        completionScore({
          localHour: local.hour,
          weekend,
          runPosition: runPos,
          taste,
          trackEffect,
          mood,
          shuffle,
          reasonStart,
          connectionErrorWithin24h: errorRecent,
          inLibrary: track.inLibrary,
          previousNotCompleted: runPos > 1 && !runPrevCompleted,
        }),
      );
      const completed = rng.next() < p;
      const last = pos === length || this.music + 1 === N;
      const trueEnd = completed ? "trackdone" : pickWeighted(rng, last ? END_LAST : END_MID);
      let ms: number;
      const dur = track.durationMs;
      if (completed) ms = dur;
      else if (trueEnd === "trackerror") ms = 0;
      else if (trueEnd === "fwdbtn") ms = rng.chance(0.08) ? 0 : Math.floor(dur * Math.pow(rng.next(), 2.2));
      else if (trueEnd === "backbtn") ms = Math.floor(dur * Math.pow(rng.next(), 3));
      else ms = Math.floor(dur * rng.next());
      ms = Math.min(ms, dur - 1 + (completed ? 1 : 0));
      const reasonEnd = this.maskReason(t, trueEnd);
      const row = this.emit({ startMs: t, ms, kind: "music", country, trackFields: track.json, episode: NO_EPISODE, audiobook: NO_BOOK, reasonStart, reasonEnd, shuffle }, ctx, completed, trueEnd);
      truth.add(isoSecondsZ(row.tsMs), track.uri, ms, p);
      stats.addMusic({
        derivedStart: row.tsMs - ms,
        tsMs: row.tsMs,
        ms,
        reasonEnd,
        completed,
        p,
        localHour: local.hour,
        weekend,
        runPosition: runPos,
        taste,
        shuffle,
        errorRecent,
        inLibrary: track.inLibrary,
        previousCompleted: runPos > 1 ? runPrevCompleted : null,
        reasonStart,
        otherClock: clock.offsetMs(zone, t) !== clock.offsetMs(LISTENER_TIMEZONE, t),
        abroad: country !== PROFILE_COUNTRY,
        newRun: runPos === 1 && pos > 1,
      });
      account.push(row.tsMs, trackIdx, ms);

      // Noise events in the technical log (no effect on completion; PlaybackError/Stutter are same-day leak traps).
      if (trueEnd === "trackerror") techEvents.push({ type: T_PLAY_ERR, t: t + rng.int(50, 800), device: ctx.device, country, aux: trackIdx });
      if (ms > 0 && rng.chance(0.015)) techEvents.push({ type: T_STUTTER, t: t + Math.floor(rng.next() * ms), device: ctx.device, country, aux: trackIdx });
      if (rng.chance(0.008)) techEvents.push({ type: T_NOT_PLAYED, t: t - 300, device: ctx.device, country, aux: trackIdx });
      if (rng.chance(0.004)) techEvents.push({ type: T_RAW, t: row.tsMs, device: ctx.device, country, aux: trackIdx });
      if (rng.chance(0.002)) techEvents.push({ type: T_DOWNLOAD, t: t + rng.int(0, 5000), device: ctx.device, country, aux: trackIdx });

      this.music++;
      prevPrevTrack = prevTrack;
      prevTrack = trackIdx;
      prevEnd = trueEnd;
      runPrevCompleted = completed;
      t = row.tsMs + rng.int(1000, 4000); // back to back: >= 1 s so derived starts never overlap
      // Device continuity breaks: a pause on this device (still the same 30-minute session) or a
      // move to another device within seconds. Either starts a new device run.
      if (rng.chance(PAUSE_CHANCE)) {
        t += rng.int(PAUSE_MINUTES[0], PAUSE_MINUTES[1]) * MINUTE_MS;
        runPos = 0;
      } else if (rng.chance(DEVICE_SWITCH_CHANCE)) {
        const next = this.switchDevice(t, ctx);
        if (next !== ctx) runPos = 0;
        ctx = next;
      }
    }
    return t;
  }

  /** Podcast / local-file / audiobook / video sessions sit in the gaps between music sessions. */
  private nonMusicSession(kind: RowKind, after: number): number {
    const { rng, catalog, world } = this.setup;
    const { account, stats } = this.sinks;
    let t = after + rng.int(35, 120) * MINUTE_MS;
    const ctx = this.newSessionCtx(t);
    const n = kind === "video" ? 1 : kind === "podcast" ? rng.int(1, 2) : rng.int(2, 4);
    const show = rng.pick(catalog.shows);
    const book = rng.pick(catalog.audiobooks);
    let chapter = rng.int(0, book.chapters.length - 2);
    for (let i = 0; i < n; i++) {
      const country = world.countryAt(t);
      let duration: number;
      let trackFields = NULL_TRACK_JSON;
      let episode: Rec["episode"] = [null, null, null];
      let audiobook: Rec["audiobook"] = [null, null, null, null];
      let localNames: [string, string, string] | null = null;
      if (kind === "podcast") {
        const e = rng.pick(show.episodes);
        duration = e.durationMs;
        episode = [e.name, show.name, e.uri];
      } else if (kind === "video") {
        const v = rng.pick(catalog.videos);
        duration = v.durationMs;
        episode = [v.name, v.show, v.uri];
      } else if (kind === "audiobook") {
        const c = book.chapters[Math.min(chapter++, book.chapters.length - 1)];
        duration = c.durationMs;
        audiobook = [book.title, book.uri, c.uri, c.title];
      } else {
        duration = rng.int(90_000, 300_000);
        if (rng.chance(0.75)) {
          localNames = rng.pick(LOCAL_TRACKS);
          trackFields = trackJson(localNames[0], localNames[1], localNames[2], null);
          stats.localWithName++;
        }
      }
      const done = rng.chance(kind === "local" ? 0.6 : 0.35);
      const trueEnd = done ? "trackdone" : pickWeighted(rng, [["endplay", 0.6], ["fwdbtn", 0.25], ["unexpected-exit", 0.15]] as const);
      const ms = done ? duration : Math.floor(duration * rng.next());
      const reasonStart = i === 0 ? pickWeighted(rng, [["clickrow", 0.5], ["playbtn", 0.3], ["appload", 0.2]] as const) : followReason(rng, "trackdone");
      const reasonEnd = this.maskReason(t, trueEnd);
      const row = this.emit({ startMs: t, ms, kind, country, trackFields, episode, audiobook, reasonStart, reasonEnd, shuffle: false }, ctx, done, trueEnd);
      stats.distinct[kind]++;
      if (localNames) {
        account.push(row.tsMs, -1 - LOCAL_TRACKS.indexOf(localNames), ms);
      } else if (kind === "podcast") {
        account.podcasts.push({ endMs: row.tsMs, obj: { endTime: utcMinute(row.tsMs), podcastName: show.name, episodeName: episode[0], msPlayed: ms } });
      }
      t = row.tsMs + rng.int(1000, 4000);
    }
    return t;
  }
}
