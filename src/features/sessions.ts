/**
 * Session and previous-play features over ALL plays in START order.
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
    recentSkipRate[i] = R > 0 ? (skips + (R - used) * opt.priorSkipRate) / R : opt.priorSkipRate;

    if (completed[i] >= 0) {
      ring[ringHead] = i;
      ringHead = (ringHead + 1) % cap;
      if (ringCount < cap) ringCount++;
    }
  }
  return { sessionId, sessionPosition, prevEnd, gapLog, recentSkipRate };
}
