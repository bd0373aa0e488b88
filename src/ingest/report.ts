/** Report pieces computed from the finished table, and the plain-text rendering. */
import type { IngestReport, PlayTable } from "./types";
import { utcMonth } from "./time";

export function dateRangeOf(plays: PlayTable): IngestReport["dateRange"] {
  if (plays.length === 0) return null;
  let last = -Infinity;
  for (let i = 0; i < plays.length; i++) if (plays.endMs[i] > last) last = plays.endMs[i];
  return { first: new Date(plays.startMs[0]).toISOString(), last: new Date(last).toISOString() };
}

/** Label counts; a month is "unlabelled" when it has kept plays (by start time, UTC) but none with a label. */
export function labelCoverageOf(plays: PlayTable): IngestReport["labelCoverage"] {
  let labelled = 0;
  let completed = 0;
  const monthLabelled = new Map<string, boolean>();
  // Rows are sorted by start, so months arrive in order; compute the month string only when it changes.
  let monthEnd = -Infinity;
  let month = "";
  for (let i = 0; i < plays.length; i++) {
    const s = plays.startMs[i];
    if (s >= monthEnd) {
      month = utcMonth(s);
      const d = new Date(s);
      monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      if (!monthLabelled.has(month)) monthLabelled.set(month, false);
    }
    const c = plays.completed[i];
    if (c >= 0) {
      labelled++;
      if (c === 1) completed++;
      monthLabelled.set(month, true);
    }
  }
  const unlabelledMonths = [...monthLabelled].filter(([, has]) => !has).map(([m]) => m).sort();
  return { labelled, unlabelled: plays.length - labelled, completed, unlabelledMonths };
}

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + " ".repeat(w - s.length);
}
function padLeft(s: string, w: number): string {
  return s.length >= w ? s : " ".repeat(w - s.length) + s;
}
function num(n: number): string {
  return n.toLocaleString("en-US");
}
function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "n/a";
}

/** Plain-text table of an IngestReport, for the CLI and notebooks. */
export function formatIngestReport(report: IngestReport): string {
  const out: string[] = [];
  out.push("Spotify export ingestion");
  out.push("========================");
  out.push("");
  out.push("Files");
  const header = ["package", "file", "kind", "rows", "variant / note"];
  const rows = report.files.map((f) => [f.package, f.file, f.kind, num(f.rows), [f.variant, f.note].filter(Boolean).join("; ")]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 3 ? padLeft(cell, widths[c]) : c === 4 ? cell : pad(cell, widths[c]))).join("  ").trimEnd();
  out.push(line(header));
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) out.push(line(r));
  out.push("");

  out.push("Plays (Extended Streaming History)");
  out.push(`  records read   ${padLeft(num(report.rowsRead), 12)}`);
  out.push(`  music kept     ${padLeft(num(report.rowsKept), 12)}`);
  if (Object.values(report.dropped).some((n) => n > 0)) out.push("  dropped:");
  const dropped = Object.entries(report.dropped).filter(([, n]) => n > 0);
  for (const [reason, n] of dropped) out.push(`  - ${pad(reason, 13)}${padLeft(num(n), 12)}`);
  if (report.filters?.length) out.push(`  filters        ${report.filters.join("; ")}`);
  if (report.dateRange) out.push(`  date range     ${report.dateRange.first} .. ${report.dateRange.last} (UTC)`);
  const lc = report.labelCoverage;
  out.push(`  labelled       ${padLeft(num(lc.labelled), 12)}  (${pct(lc.labelled, report.rowsKept)} of kept plays)`);
  out.push(`  completed      ${padLeft(num(lc.completed), 12)}  (${pct(lc.completed, lc.labelled)} of labelled)`);
  out.push(`  unlabelled     ${padLeft(num(lc.unlabelled), 12)}  (reason_end null or "unknown": context only)`);
  if (lc.unlabelledMonths.length > 0) out.push(`  months without any label: ${lc.unlabelledMonths.join(", ")}`);
  if (report.label) {
    out.push(`  completion rule ${report.label.rule}`);
    const le = report.label.lengthEstimate;
    if (le) {
      const s = le.sources;
      out.push(`  track length from: its own trackdone plays ${num(s.track)}, the artist's ${num(s.artist)}, all tracks ${num(s.global)}, the ${le.defaultMs / 1000} s default ${num(s.default)} (median of >= ${le.minPlays} earlier trackdone plays)`);
    }
  }
  out.push("");

  out.push("Account Data");
  out.push(`  library tracks ${padLeft(num(report.account.libraryTracks), 12)}`);
  const trackItems = report.account.playlistTrackItems;
  out.push(`  playlists      ${padLeft(num(report.account.playlists), 12)}  (${num(report.account.playlistItems)} items${trackItems === undefined ? "" : `, ${num(trackItems)} tracks`})`);
  if (report.account.bannedTracks !== undefined) out.push(`  banned tracks  ${padLeft(num(report.account.bannedTracks), 12)}`);
  out.push(`  country        ${padLeft(report.account.country ?? "-", 12)}`);
  out.push("");

  const t = report.tech;
  out.push("Technical Log Information");
  out.push(`  event files    ${padLeft(num(t.eventFiles), 12)}`);
  out.push(`  ConnectionError${padLeft(num(t.connectionError), 12)}`);
  out.push(`  PlaybackError  ${padLeft(num(t.playbackError), 12)}`);
  out.push(`  Stutter        ${padLeft(num(t.stutter), 12)}`);
  out.push(`  TrackNotPlayed ${padLeft(num(t.trackNotPlayed), 12)}`);

  if (report.warnings.length > 0) {
    out.push("");
    out.push(`Warnings (${report.warnings.length})`);
    for (const w of report.warnings) out.push(`  - ${w}`);
  }
  return out.join("\n") + "\n";
}
