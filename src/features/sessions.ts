/**
 * Session and previous-play features over ALL plays in START order.
 *
 * Two notions of session:
 * - listening session (`sessionId`): a new one starts when the gap from the previous play's
 *   END (start order, any device) to this START exceeds `sessionGapMs` (30 min);
 * - device run (`deviceRunId`): one device's continuous playback. A play continues its
 *   device's run when the previous play on the same device (platform string, else platform
 *   family) ended at most `deviceGapMs` before this start and at most `endToleranceMs` after
 *   it (whole-second `ts`); anything else (a pause, a skip to another device, a first play)
 *   opens a new run. Autoplay/album playback forms long runs; a session hopping between
 *   phone and laptop forms several.
 *
 * Everything here is known when play i starts: earlier plays by start time, and of
 * those only the outcomes (reason_end, label) of plays that had ENDED by then. Ends
 * are compared with a small tolerance because `ts` has whole-second precision, so a
 * play started right after its predecessor can appear to start up to 1 s before it
 * ended.
 */
import type { PlayTable } from "../ingest/types";

/** Previous-play end reasons, one-hot in this order. "none": no previous play, or it had not ended. */
export const PREV_END_CATEGORIES = ["trackdone", "fwdbtn", "backbtn", "endplay", "other", "none"] as const;
const NONE = PREV_END_CATEGORIES.length - 1;
const OTHER = NONE - 1;

export const SESSION_COLUMNS = [
  "session_position_log1p",
  "is_session_start",
  "recent_skip_rate_10",
  ...PREV_END_CATEGORIES.map((c) => `prev_end_reason=${c}`),
  "gap_since_prev_end_log1p_s",
];

export interface SessionOptions {
  /** New session when previous END → this START exceeds this. */
  sessionGapMs: number;
  /** How many previous labelled plays feed recent_skip_rate. */
  recentWindow: number;
  /** A previous play counts as ended if endMs <= startMs + this. */
  endToleranceMs: number;
  /** Missing slots of the recent window are filled with this skip rate (global TRAIN rate). */
  priorSkipRate: number;
  /** Largest gap (previous END on the same device → this START) that continues a device run. Default 3000. */
  deviceGapMs?: number;
}

/** Per-play session state, all [n plays]. */
export interface SessionColumns {
  sessionId: Int32Array;
  sessionPosition: Int32Array;
  /** Index into PREV_END_CATEGORIES. */
  prevEnd: Uint8Array;
  /** log1p(seconds from previous end to this start), 0 when overlapping, capped at 30 days. */
  gapLog: Float64Array;
  recentSkipRate: Float64Array;
  /** Earlier ended labelled plays inside recent_skip_rate's window (the rest is filled with the prior) ... */
  recentUsed: Uint16Array;
  /** ... and the skips among them. */
  recentSkips: Uint16Array;
  /** Device run of each play (0-based, numbered in start order of their first play). */
  deviceRunId: Int32Array;
  /** 1-based position inside the device run. */
  deviceRunPosition: Int32Array;
  /** 1 when the previous play of the same device run (ended, by continuity) was labelled and not completed. */
  deviceRunPrevSkipped: Uint8Array;
}

const GAP_CAP_S = 30 * 86400;

export function computeSessions(plays: PlayTable, opt: SessionOptions): SessionColumns {
  const n = plays.length;
  const { startMs, endMs, completed } = plays;
  const sessionId = new Int32Array(n);
  const sessionPosition = new Int32Array(n);
  const prevEnd = new Uint8Array(n);
  const gapLog = new Float64Array(n);
  const recentSkipRate = new Float64Array(n);
  const recentUsed = new Uint16Array(n);
  const recentSkips = new Uint16Array(n);

  const reasonCat = new Uint8Array(plays.reasonEnd.values.length);
  plays.reasonEnd.values.forEach((v, c) => {
    const k = (PREV_END_CATEGORIES as readonly string[]).indexOf(v);
    reasonCat[c] = k >= 0 && k < OTHER ? k : OTHER;
  });

  // ring of the latest labelled plays (indices); twice the window so a few not-yet-ended ones can be skipped
  const R = opt.recentWindow;
  const cap = Math.max(1, 2 * R);
  const ring = new Int32Array(cap);
  let ringCount = 0;
  let ringHead = 0; // next write slot

  let sid = -1;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const s = startMs[i];
    if (i === 0) {
      sid = 0;
      pos = 1;
      prevEnd[i] = NONE;
      gapLog[i] = Math.log1p(GAP_CAP_S);
    } else {
      const pe = endMs[i - 1];
      const gap = s - pe;
      if (gap > opt.sessionGapMs) {
        sid++;
        pos = 1;
      } else pos++;
      const ended = pe <= s + opt.endToleranceMs;
      if (ended) {
        const code = plays.reasonEnd.codes[i - 1];
        prevEnd[i] = code < 0 ? OTHER : reasonCat[code];
      } else prevEnd[i] = NONE;
      gapLog[i] = Math.log1p(Math.min(GAP_CAP_S, Math.max(0, gap) / 1000));
    }
    sessionId[i] = sid;
    sessionPosition[i] = pos;

    // recent skip rate from earlier labelled plays that had ended by this start
    let used = 0;
    let skips = 0;
    for (let k = 1; k <= ringCount && used < R; k++) {
      const j = ring[(ringHead - k + cap) % cap];
      if (endMs[j] > s + opt.endToleranceMs) continue;
      used++;
      if (completed[j] === 0) skips++;
    }
    recentUsed[i] = used;
    recentSkips[i] = skips;
    recentSkipRate[i] = R > 0 ? (skips + (R - used) * opt.priorSkipRate) / R : opt.priorSkipRate;

    if (completed[i] >= 0) {
      ring[ringHead] = i;
      ringHead = (ringHead + 1) % cap;
      if (ringCount < cap) ringCount++;
    }
  }
  return { sessionId, sessionPosition, prevEnd, gapLog, recentSkipRate, recentUsed, recentSkips, ...deviceRuns(plays, opt) };
}

/** Device runs (see module comment): [n plays] ids and 1-based positions. */
export function deviceRuns(
  plays: PlayTable,
  opt: Pick<SessionOptions, "endToleranceMs" | "deviceGapMs">,
): Pick<SessionColumns, "deviceRunId" | "deviceRunPosition" | "deviceRunPrevSkipped"> {
  const n = plays.length;
  const gapMs = opt.deviceGapMs ?? 3000;
  const raw = plays.platformRaw.codes;
  const fam = plays.platformFamily.codes;
  const R = plays.platformRaw.values.length;
  // device key: raw platform string, else family (offset past the raw codes), else one "unknown" key
  const keys = R + plays.platformFamily.values.length + 1;
  const lastEnd = new Float64Array(keys).fill(NaN);
  const lastRun = new Int32Array(keys);
  const lastPos = new Int32Array(keys);
  const lastPlay = new Int32Array(keys);
  const deviceRunId = new Int32Array(n);
  const deviceRunPosition = new Int32Array(n);
  const deviceRunPrevSkipped = new Uint8Array(n);
  let runs = 0;
  for (let i = 0; i < n; i++) {
    const key = raw[i] >= 0 ? raw[i] : fam[i] >= 0 ? R + fam[i] : keys - 1;
    const s = plays.startMs[i];
    const gap = s - lastEnd[key]; // NaN when the device has no earlier play
    if (gap >= -opt.endToleranceMs && gap <= gapMs) {
      deviceRunId[i] = lastRun[key];
      deviceRunPosition[i] = ++lastPos[key];
      // the previous play of the run has ended (gap ≥ −tolerance), so its outcome is known
      deviceRunPrevSkipped[i] = plays.completed[lastPlay[key]] === 0 ? 1 : 0;
    } else {
      deviceRunId[i] = lastRun[key] = runs++;
      deviceRunPosition[i] = lastPos[key] = 1;
    }
    lastEnd[key] = plays.endMs[i];
    lastPlay[key] = i;
  }
  return { deviceRunId, deviceRunPosition, deviceRunPrevSkipped };
}
