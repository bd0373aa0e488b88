/**
 * Deterministic synthetic figure inputs for the report tests (no pipeline run needed).
 * Includes hostile strings (HTML/formula/RTL) in names to exercise escaping everywhere.
 */
import { mulberry32 } from "../../src/common/rng";
import type { ScoredRow } from "../../src/pipeline/tables";
import type { FigureInputs } from "../../src/report/figures/types";

export const HOSTILE_NAME = "<script>alert(1)</script>";

const ARTISTS = [HOSTILE_NAME, '=HYPERLINK("http://x","y")', "مرحبا", "a|b", "Emoji 🎧", "Plain Artist", "Quote \"q\"", "Zed"];
const PLATFORMS: [string, string][] = [["Android OS 13", "android"], ["iOS 17", "ios"], ["Windows 10", "windows"], ["web_player", "web"]];

export interface SyntheticOptions { n?: number; seed?: number }

/** `n` scored plays over 2023 with a learnable completion signal and two models. */
export function syntheticScored({ n = 600, seed = 7 }: SyntheticOptions = {}): ScoredRow[] {
  const rand = mulberry32(seed);
  const out: ScoredRow[] = [];
  let position = 0;
  let session = 0;
  for (let i = 0; i < n; i++) {
    position = rand() < 0.15 ? 1 : position + 1;
    if (position === 1) session++;
    const start = Date.UTC(2023, 0, 1) + Math.floor((i / n) * 364 * 86400000) + Math.floor(rand() * 86400000);
    const d = new Date(start);
    const hour = d.getUTCHours();
    const dow = (d.getUTCDay() + 6) % 7;
    const artistIdx = Math.min(ARTISTS.length - 1, Math.floor(Math.pow(rand(), 1.6) * ARTISTS.length));
    const [platform, family] = PLATFORMS[Math.floor(rand() * PLATFORMS.length)];
    const logit = 1.2 * Math.sin((hour / 24) * 2 * Math.PI) - 0.05 * Math.min(position, 20) + (artistIdx % 3) * 0.6 - 0.3;
    const p = 1 / (1 + Math.exp(-logit));
    // March and April carry no labels (like the late-2023 export gap).
    const month = d.getUTCMonth();
    const outcome: 0 | 1 = rand() < p ? 1 : 0;
    const label = month === 2 || month === 3 ? null : outcome;
    const noisy = 1 / (1 + Math.exp(-(logit + (rand() - 0.5) * 3)));
    const local = d.toISOString().slice(0, 19);
    out.push({
      ts: new Date(start + 180000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      start_local: local,
      hour_local: hour,
      day_of_week: dow,
      session_id: session,
      session_position: position,
      conn_country: "SE",
      shuffle: i % 2,
      spotify_track_uri: `spotify:track:${(1000 + (i % 97)).toString(36)}`,
      track: i % 5 === 0 ? HOSTILE_NAME : `Track ${i % 97}`,
      artist: ARTISTS[artistIdx],
      album: `Album ${artistIdx}`,
      platform,
      platform_family: family,
      split: i < n * 0.7 ? "train" : i < n * 0.8 ? "validation" : "test",
      label,
      p_complete: Math.round(p * 1e4) / 1e4,
      p_baseline: Math.round(noisy * 1e4) / 1e4,
    });
  }
  return out;
}

/** Full figure inputs: scored plays plus every optional input. */
export function syntheticInputs(options: SyntheticOptions = {}) {
  const scored = syntheticScored(options);
  const months = new Map<string, { plays: number; labelled: number; completed: number }>();
  for (const s of scored) {
    const m = s.start_local.slice(0, 7);
    const acc = months.get(m) ?? { plays: 0, labelled: 0, completed: 0 };
    acc.plays++;
    if (s.label !== null) {
      acc.labelled++;
      acc.completed += s.label;
    }
    months.set(m, acc);
  }
  return {
    scored,
    models: ["p_complete", "p_baseline"],
    featureImportance: [
      { feature: "track_train_skip_rate", coefficient: -0.91 },
      { feature: "hour_sin", coefficient: 0.62 },
      { feature: "session_position", coefficient: -0.35 },
      { feature: "artist_train_skip_rate", coefficient: -0.5 },
      { feature: "platform=android", coefficient: 0.12 },
      { feature: "<b>html</b>", coefficient: 0.05 },
    ],
    modelComparison: [
      { model: "p_complete", split: "test", auc: 0.71, log_loss: 0.61 },
      { model: "p_baseline", split: "test", auc: 0.63, log_loss: 0.66 },
      { model: "p_complete", split: "validation", auc: 0.9, log_loss: 0.3 },
    ],
    monthly: [...months.entries()].map(([month, a]) => ({
      month,
      plays: a.plays,
      labelled: a.labelled,
      completion_rate: a.labelled > 0 ? a.completed / a.labelled : null,
    })),
    recommendations: [
      { rank: 1, track: HOSTILE_NAME, artist: "مرحبا", expected_completion: 0.91 },
      { rank: 2, track: "=1+1", artist: "a|b", expected_completion: 0.88 },
    ],
    labelDisagreement: [
      { rule: "played-30s", platform_family: "android", labelled: 120, disagree: 30, disagreement: 0.25 },
      { rule: "played-fraction=0.5", platform_family: "android", labelled: 120, disagree: 12, disagreement: 0.1 },
      { rule: "played-30s", platform_family: HOSTILE_NAME, labelled: 40, disagree: 16, disagreement: 0.4 },
      { rule: "played-fraction=0.5", platform_family: HOSTILE_NAME, labelled: 40, disagree: 2, disagreement: 0.05 },
    ],
    training: [
      { model: "tfjs_logistic", train: [0.71, 0.64, 0.6, 0.59], validation: [0.7, 0.65, 0.63, 0.64], stoppedEarly: true },
      { model: HOSTILE_NAME, train: [0.7, 0.6], validation: [0.69, 0.66], stoppedEarly: false },
    ],
  } satisfies FigureInputs;
}
