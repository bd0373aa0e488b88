/**
 * The planted ground truth of the synthetic export: how likely a music play is to be
 * completed (reason_end "trackdone"). Later stages should recover these effects, so
 * every input is something known when the play STARTS (no ms_played, no reason_end of
 * the play itself). data-sample/README.md renders these same constants.
 *
 *   p(completed) = sigmoid(completionScore(inputs))
 *
 * Each music play's p is written to `<export>/TRUTH.csv` (./truth.ts), beside the export and
 * never inside a package folder, so a run can be scored against the truth: its AUC against
 * the Bayes AUC (the true probabilities' own AUC on the same test rows), which no leak-free
 * model beats beyond noise.
 *
 * Random effects a model can only estimate from earlier plays (version 2):
 * - session mood: one draw per listening session (plays separated by > 30 min), shared by
 *   every play of the session, whatever the device;
 * - artist taste and track appeal that drift linearly over the years (slopes per artist and
 *   per track, centred on the middle of the history);
 * - device continuity: a long session holds pauses (a few minutes, same device) and device
 *   switches (within seconds, another device); fatigue and the skip streak follow the
 *   CONTINUOUS run on one device (a play that starts within seconds of the previous play's end
 *   on that device), not the 30-minute session;
 * - travel: conn_country differs from the profile country for stretches (trips, a few longer
 *   stays), sessions start and local-time effects follow the zone of that country.
 */

/** Bump when the formula or a constant changes (the committed sample must be regenerated). */
export const SIGNAL_VERSION = 2;

/** The listener's home timezone (profile country "DE"). */
export const LISTENER_TIMEZONE = "Europe/Berlin";
export const PROFILE_COUNTRY = "DE";
/**
 * Trip destinations and the zone the listener's clock follows there. Most share Berlin's clock;
 * GB/PT/GR/US/JP do not. The US spans several zones: trips there stay in the modal (most
 * populous) one, America/New_York.
 */
export const COUNTRY_ZONE: Readonly<Record<string, string>> = {
  DE: LISTENER_TIMEZONE,
  AT: "Europe/Vienna",
  FR: "Europe/Paris",
  IT: "Europe/Rome",
  NL: "Europe/Amsterdam",
  ES: "Europe/Madrid",
  GB: "Europe/London",
  PT: "Europe/Lisbon",
  GR: "Europe/Athens",
  US: "America/New_York",
  JP: "Asia/Tokyo",
};
export const TRIP_COUNTRIES: readonly string[] = ["AT", "FR", "IT", "NL", "ES", "GB", "PT", "GR", "US", "JP"];
/** Days between trips ~ Exponential(mean); a trip lasts TRIP_DAYS, or a long stay LONG_STAY_DAYS with LONG_STAY_SHARE. */
export const TRIP_GAP_MEAN_DAYS = 70;
export const TRIP_DAYS: readonly [number, number] = [3, 10];
export const LONG_STAY_DAYS: readonly [number, number] = [21, 60];
export const LONG_STAY_SHARE = 0.12;

/** Session mood ~ Normal(0, MOOD_SD), one per listening session, added to the score. */
export const MOOD_SD = 0.6;
/** Per-track appeal ~ Normal(0, TRACK_SD), on top of the artist's taste. */
export const TRACK_SD = 0.5;
/** Drift slopes per year ~ Normal(0, sd), centred on the middle of the history. */
export const ARTIST_DRIFT_SD_PER_YEAR = 0.35;
export const TRACK_DRIFT_SD_PER_YEAR = 0.3;

/** After a play in a session, the chance of a pause on the same device, and its length in minutes. */
export const PAUSE_CHANCE = 0.05;
export const PAUSE_MINUTES: readonly [number, number] = [2, 25];
/** After a play in a session, the chance the listener moves to another device within seconds. */
export const DEVICE_SWITCH_CHANCE = 0.04;
/** A play continues its device run when it starts at most this long after the previous play's end there. */
export const CONTINUITY_MAX_GAP_MS = 10_000;

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
 * Fatigue by position in the device run (1-based among MUSIC plays with a track URI, in one
 * device's continuous playback; a pause or a device switch starts a new run).
 * Effect = max(SESSION_FLOOR, SESSION_SLOPE * max(0, position - SESSION_FREE_PLAYS)).
 */
export const SESSION_FREE_PLAYS = 15;
export const SESSION_SLOPE = -0.08;
export const SESSION_FLOOR = -1.2;

/** Per-artist latent taste at the middle of the history ~ Normal(0, TASTE_SD). */
export const TASTE_SD = 0.9;

export const SHUFFLE_EFFECT = -0.3;
/** Interaction: shuffle * min(taste, 0) * this (taste: the artist's, as of the play), i.e. shuffle hurts disliked artists more. */
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

/** The previous music play of the same device run was not completed (a skip streak). */
export const PREVIOUS_NOT_COMPLETED_EFFECT = -0.6;

/** Things that have NO effect (noise on purpose): platform, conn_country (beyond its clock), offline,
 *  incognito, playlist membership, PlaybackError/Stutter/TrackNotPlayed events, track duration. */
export const NO_EFFECT: readonly string[] = [
  "platform",
  "conn_country (except through the local clock)",
  "offline",
  "incognito_mode",
  "playlist membership",
  "PlaybackError/Stutter/TrackNotPlayed/other tech events",
  "track duration",
];

export interface SignalInputs {
  /** Local hour of the start, 0..23, in the zone of the play's conn_country (COUNTRY_ZONE). */
  localHour: number;
  /** Local start day is Saturday or Sunday. */
  weekend: boolean;
  /** 1-based position in the device run (continuous playback on one device). */
  runPosition: number;
  /** The artist's latent taste as of the play (drifted). */
  taste: number;
  /** The track's own appeal as of the play (drifted). */
  trackEffect: number;
  /** The session's mood. */
  mood: number;
  shuffle: boolean;
  reasonStart: string;
  connectionErrorWithin24h: boolean;
  inLibrary: boolean;
  /** Previous music play of the same device run ended without trackdone (false for a run's first play). */
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
  s += sessionPositionEffect(x.runPosition);
  s += x.taste + x.trackEffect + x.mood;
  if (x.shuffle) s += SHUFFLE_EFFECT + SHUFFLE_X_NEGATIVE_TASTE * Math.min(x.taste, 0);
  s += REASON_START_EFFECT[x.reasonStart] ?? 0;
  if (x.connectionErrorWithin24h) s += CONNECTION_ERROR_24H_EFFECT;
  if (x.inLibrary) s += IN_LIBRARY_EFFECT;
  if (x.previousNotCompleted) s += PREVIOUS_NOT_COMPLETED_EFFECT;
  return s;
}

/** A drifting effect as of `years` from the middle of the history. */
export function drifted(level: number, slopePerYear: number, years: number): number {
  return level + slopePerYear * years;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function completionProbability(x: SignalInputs): number {
  return sigmoid(completionScore(x));
}
