/**
 * The planted ground truth of the synthetic export: how likely a music play is to be
 * completed (reason_end "trackdone"). Later stages should recover these effects, so
 * every input is something known when the play STARTS (no ms_played, no reason_end of
 * the play itself). data-sample/README.md renders these same constants.
 *
 *   p(completed) = sigmoid(completionScore(inputs))
 */

/** Bump when the formula or a constant changes (the committed sample must be regenerated). */
export const SIGNAL_VERSION = 1;

/** The listener's home timezone (profile country "DE"); all local-time effects use it. */
export const LISTENER_TIMEZONE = "Europe/Berlin";
export const PROFILE_COUNTRY = "DE";
/** Trips abroad only go to countries on Berlin time, so the local hour never depends on conn_country. */
export const TRIP_COUNTRIES: readonly string[] = ["AT", "FR", "IT", "NL", "ES", "CH", "DK", "BE"];

export const INTERCEPT = 1.0;

/** Additive effect of the local START hour 0..23 (non-linear: late night low, evening high). */
export const HOUR_EFFECT: readonly number[] = [
  -1.1, -1.3, -1.5, -1.5, -1.3, -0.9, // 00-05: late night
  -0.3, -0.1, 0.0, 0.1, 0.1, 0.1, // 06-11
  0.0, 0.0, 0.0, 0.1, 0.2, 0.3, // 12-17
  0.45, 0.55, 0.6, 0.55, 0.35, -0.2, // 18-23
];

/** Local Saturday/Sunday (of the start time). */
export const WEEKEND_EFFECT = -0.15;
/** Evening = local start hour in [EVENING_FIRST_HOUR, EVENING_LAST_HOUR]. */
export const EVENING_FIRST_HOUR = 18;
export const EVENING_LAST_HOUR = 23;
/** Interaction: weekend AND evening (on top of both main effects). */
export const WEEKEND_X_EVENING_EFFECT = 0.8;

/**
 * Session position (1-based among MUSIC plays with a track URI; sessions are split by
 * gaps > 30 min between one play's end and the next play's start).
 * Effect = max(SESSION_FLOOR, SESSION_SLOPE * max(0, position - SESSION_FREE_PLAYS)).
 */
export const SESSION_FREE_PLAYS = 15;
export const SESSION_SLOPE = -0.08;
export const SESSION_FLOOR = -1.2;

/** Per-artist latent taste ~ Normal(0, TASTE_SD), added to the score with coefficient 1. */
export const TASTE_SD = 0.9;

export const SHUFFLE_EFFECT = -0.3;
/** Interaction: shuffle * min(taste, 0) * this, i.e. shuffle hurts disliked artists more. */
export const SHUFFLE_X_NEGATIVE_TASTE = 0.9;

/** By the play's own reason_start (known at start). Values not listed add 0. */
export const REASON_START_EFFECT: Readonly<Record<string, number>> = {
  clickrow: 0.55,
  playbtn: 0.45,
  backbtn: 0.3,
  trackdone: 0,
  appload: 0,
  remote: -0.1,
  trackerror: -0.2,
  fwdbtn: -0.5,
  unknown: 0,
};

/** At least one ConnectionError event in the tech log within [start - 24 h, start). */
export const CONNECTION_ERROR_WINDOW_MS = 24 * 3_600_000;
export const CONNECTION_ERROR_24H_EFFECT = -1.0;

/** Track URI listed in YourLibrary.json `tracks` (library membership is independent of taste). */
export const IN_LIBRARY_EFFECT = 0.6;

/** The previous music play of the same session was not completed (a skip streak). */
export const PREVIOUS_NOT_COMPLETED_EFFECT = -0.6;

/** Things that have NO effect (noise on purpose): platform, conn_country, offline, incognito,
 *  playlist membership, PlaybackError/Stutter/TrackNotPlayed events, track duration. */
export const NO_EFFECT: readonly string[] = [
  "platform",
  "conn_country",
  "offline",
  "incognito_mode",
  "playlist membership",
  "PlaybackError/Stutter/TrackNotPlayed/other tech events",
  "track duration",
];

export interface SignalInputs {
  /** Local (Europe/Berlin) hour of the start, 0..23. */
  localHour: number;
  /** Local start day is Saturday or Sunday. */
  weekend: boolean;
  /** 1-based position in the music session. */
  sessionPosition: number;
  /** The artist's latent taste. */
  taste: number;
  shuffle: boolean;
  reasonStart: string;
  connectionErrorWithin24h: boolean;
  inLibrary: boolean;
  /** Previous music play in the same session ended without trackdone (false for the first play). */
  previousNotCompleted: boolean;
}

export function sessionPositionEffect(position: number): number {
  return Math.max(SESSION_FLOOR, SESSION_SLOPE * Math.max(0, position - SESSION_FREE_PLAYS));
}

export function isEveningHour(hour: number): boolean {
  return hour >= EVENING_FIRST_HOUR && hour <= EVENING_LAST_HOUR;
}

/** The linear-plus-interactions score (log-odds of completion). */
export function completionScore(x: SignalInputs): number {
  let s = INTERCEPT + HOUR_EFFECT[x.localHour];
  if (x.weekend) {
    s += WEEKEND_EFFECT;
    if (isEveningHour(x.localHour)) s += WEEKEND_X_EVENING_EFFECT;
  }
  s += sessionPositionEffect(x.sessionPosition);
  s += x.taste;
  if (x.shuffle) s += SHUFFLE_EFFECT + SHUFFLE_X_NEGATIVE_TASTE * Math.min(x.taste, 0);
  s += REASON_START_EFFECT[x.reasonStart] ?? 0;
  if (x.connectionErrorWithin24h) s += CONNECTION_ERROR_24H_EFFECT;
  if (x.inLibrary) s += IN_LIBRARY_EFFECT;
  if (x.previousNotCompleted) s += PREVIOUS_NOT_COMPLETED_EFFECT;
  return s;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function completionProbability(x: SignalInputs): number {
  return sigmoid(completionScore(x));
}
