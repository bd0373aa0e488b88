/**
 * Shapes of the features stage (docs/CONTRACTS.md "features → model/evaluate/recommend").
 */
import type { AccountData, PlayTable, TechEvents } from "../ingest/types";

/** Everything the features stage reads: ingest's output minus the report. */
export interface FeatureData {
  plays: PlayTable;
  account: AccountData;
  tech: TechEvents;
}

/** Row roles in a SplitPlan. */
export const ROLE_TRAIN = 0;
export const ROLE_VALIDATION = 1;
export const ROLE_TEST = 2;
/** Unlabelled play, or (in rolling-origin folds) a labelled play outside this fold. Context only. */
export const ROLE_NONE = 255;

export interface SplitPlan {
  /** [n plays] 0 train, 1 validation, 2 test, 255 unlabelled / not used. */
  role: Uint8Array;
  /** Train rows start before this (epoch ms): the start of the first validation play. */
  trainEndMs: number;
  /** Validation rows start before this: the start of the first test play (= end of the training window). */
  validationEndMs: number;
  /** Test rows start before this (exclusive); for the last fold / a plain split, 1 ms after the last play's start. */
  testEndMs: number;
  trainEndIso: string;
  validationEndIso: string;
  testEndIso: string;
  counts: { train: number; validation: number; test: number; unlabelled: number };
  testFraction: number;
  validationFraction: number;
  /** Fold number (0-based) for rolling-origin plans, 0 for a plain split. */
  fold: number;
}

export type FeatureGroup = "time" | "session" | "behaviour" | "context" | "account" | "reliability" | "leaky";

export interface FeatureSet {
  /** [cols] stable, readable column names. */
  names: string[];
  /** [cols] group of each column. */
  groups: FeatureGroup[];
  /** [rows * cols] row-major, raw (unstandardised). */
  X: Float64Array;
  rows: number;
  cols: number;
  /** [rows] 1 completed, 0 not. */
  y: Float64Array;
  /** [rows] row in the PlayTable. */
  playIndex: Int32Array;
  /** [rows] 0 train, 1 validation, 2 test. */
  role: Uint8Array;
  /** [rows] session number over ALL plays (0-based, in start order). */
  sessionId: Int32Array;
  /** [rows] 1-based position of the play inside its session (all plays count). */
  sessionPosition: Int32Array;
  /** Where local time came from, per row (absent on FeatureSets built elsewhere). */
  localTime?: LocalTimeSummary;
}

export type TimeZoneSource = "option" | "profile-country" | "conn-country" | "utc-fallback";

export interface TimeZoneChoice {
  /** IANA zone name used for local-time features. */
  zone: string;
  source: TimeZoneSource;
  /** One sentence for reports, e.g. "profile country DE → Europe/Berlin". */
  reason: string;
  /** Home country (upper case) the zone stands for; plays connected elsewhere use their country's zone. */
  country?: string;
}

/** How many rows took their local time from each source (time.ts `playZones`). */
export interface LocalTimeSummary {
  /** The home zone (TimeZoneChoice.zone). */
  homeZone: string;
  /** Rows per source: home zone, the play's conn_country zone, the modal zone of a conn_country spanning several. */
  sources: { home: number; "conn-country": number; "multi-zone-modal": number };
  /** Rows per zone used, zones sorted by name. */
  zones: Record<string, number>;
}
