/**
 * The title slide's facts, computed from the run's own outputs (`model_metrics.json`,
 * `ingest_report.json` in the output folder), never written by hand. A missing or unreadable
 * file leaves its facts out and is named in `missing`, so the title slide says what it lacks.
 */
import * as fs from "fs";
import * as path from "path";
import { fmtInt, fmtPct } from "../figures/common";
import { escapeHtml } from "../html";

export interface Fact {
  label: string;
  value: string;
}

export interface Headline {
  /** "2022-03-01 to 2025-05-01" (UTC days of the first and last play), null when unknown. */
  dateRange: string | null;
  facts: Fact[];
  /** Output files that were missing or unreadable, e.g. ["model_metrics.json"]. */
  missing: string[];
}

/** The fields read here, all optional: an older or partial run may lack any of them. */
interface Metrics {
  primary_model?: string;
  backend?: { name?: string };
  data?: { music_plays?: number; labelled_plays?: number; completed_plays?: number; rows_read?: number; date_range?: { first?: string | null; last?: string | null } };
  test?: { n?: number; auc?: number | null; ece?: number | null } | null;
  models?: Record<string, { deployable?: boolean; test?: { auc?: number | null } | null }>;
  recommendation?: {
    list_length?: number;
    model?: { test_plays?: number; test_completion_rate?: number | null };
    popularity?: { test_plays?: number; test_completion_rate?: number | null };
  };
}
interface IngestReport {
  rowsRead?: number;
  rowsKept?: number;
  dateRange?: { first?: string | null; last?: string | null };
  labelCoverage?: { labelled?: number; completed?: number };
}

function readJson<T>(file: string, missing: string[]): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    missing.push(path.basename(file));
    return null;
  }
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const day = (iso: string | null | undefined) => (typeof iso === "string" && /^\d{4}-\d\d-\d\d/.test(iso) ? iso.slice(0, 10) : null);

/** Headline numbers of the run whose outputs are in `outputDir`. */
export function readHeadline(outputDir: string): Headline {
  const missing: string[] = [];
  const metrics = readJson<Metrics>(path.join(outputDir, "model_metrics.json"), missing);
  const ingest = readJson<IngestReport>(path.join(outputDir, "ingest_report.json"), missing);
  const facts: Fact[] = [];

  const range = metrics?.data?.date_range ?? ingest?.dateRange;
  const first = day(range?.first);
  const last = day(range?.last);
  const dateRange = first && last ? `${first} to ${last}` : null;

  const kept = metrics?.data?.music_plays ?? ingest?.rowsKept;
  const read = metrics?.data?.rows_read ?? ingest?.rowsRead;
  if (isNum(kept) && isNum(read)) facts.push({ label: "Music plays", value: `${fmtInt(kept)} kept of ${fmtInt(read)} records read` });

  const labelled = metrics?.data?.labelled_plays ?? ingest?.labelCoverage?.labelled;
  const completed = metrics?.data?.completed_plays ?? ingest?.labelCoverage?.completed;
  if (isNum(labelled) && isNum(completed) && labelled > 0) {
    facts.push({ label: "Finished", value: `${fmtPct(completed / labelled)} of ${fmtInt(labelled)} labelled plays` });
  }

  const test = metrics?.test;
  if (metrics && test && isNum(test.auc) && isNum(test.n)) {
    const baselines = Object.entries(metrics.models ?? {})
      .filter(([name, m]) => name !== metrics.primary_model && m.deployable === true && isNum(m.test?.auc))
      .sort((a, b) => (b[1].test?.auc ?? 0) - (a[1].test?.auc ?? 0) || a[0].localeCompare(b[0]));
    const best = baselines[0];
    const versus = best ? `; best other deployable model ${best[0]} ${(best[1].test?.auc ?? 0).toFixed(3)}` : "";
    const ece = isNum(test.ece) ? `, calibration error ${test.ece.toFixed(3)}` : "";
    facts.push({ label: "Model", value: `${metrics.primary_model ?? "primary model"}: test AUC ${test.auc.toFixed(3)} on ${fmtInt(test.n)} test plays${ece}${versus}` });
  }

  const rec = metrics?.recommendation;
  const rate = rec?.model?.test_completion_rate;
  if (rec && isNum(rec.list_length) && isNum(rate) && isNum(rec.model?.test_plays)) {
    const pop = rec.popularity?.test_completion_rate;
    const versus = isNum(pop) ? ` (most-played list: ${fmtPct(pop)})` : "";
    facts.push({ label: "Recommendations", value: `top ${fmtInt(rec.list_length)}: ${fmtPct(rate)} of their ${fmtInt(rec.model?.test_plays ?? 0)} test-window plays finished${versus}` });
  }
  return { dateRange, facts, missing };
}

/** The date range, the facts as a list, and what was missing: the report's header and the title slide. */
export function headlineHtml(headline: Headline): string {
  const range = headline.dateRange ? `<p class="range">Export from ${escapeHtml(headline.dateRange)}</p>` : `<p class="range">The export's date range is unknown.</p>`;
  const facts = headline.facts.map((f) => `<li><strong>${escapeHtml(f.label)}:</strong> ${escapeHtml(f.value)}</li>`).join("");
  const missing = headline.missing.length ? `<p class="missing">Not found in the output folder: ${escapeHtml(headline.missing.join(", "))} (run npm start).</p>` : "";
  return `${range}${facts ? `<ul class="facts">${facts}</ul>` : ""}${missing}`;
}
