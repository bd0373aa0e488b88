/**
 * Writes the Extended Streaming History package: audio files in chunks of at most
 * `recordsPerFile` records (disorder and duplicates planted at each flush), one video file
 * and the ReadMeFirst placeholder. Rows arrive in simulation order through `add`.
 */
import * as fs from "fs";
import * as path from "path";
import { AUDIOBOOK_FROM, RowKind, pdfBytes } from "./options";
import { Rand } from "./rand";
import { Row } from "./render";
import { isoSecondsZ } from "./time";

export interface ManifestFile {
  name: string;
  records: number;
  /** Earliest/latest `ts` in the file. */
  firstTs?: string;
  lastTs?: string;
}

export interface DuplicateFile {
  name: string;
  copyOf: string;
  records: number;
  byKind: Record<RowKind, number>;
}

/** What the extended package holds, for the manifest. */
export interface ExtendedFiles {
  audioFiles: ManifestFile[];
  videoFiles: ManifestFile[];
  duplicateFile: DuplicateFile | null;
  recordsInFiles: number;
  exactDuplicates: number;
}

function fileText(rows: Row[]): string {
  return rows.length ? "[\n" + rows.map((r) => r.text).join(",\n") + "\n]" : "[]";
}

function yearsLabel(rows: Row[]): { label: string; first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    if (r.tsMs < first) first = r.tsMs;
    if (r.tsMs > last) last = r.tsMs;
  }
  const y1 = new Date(first).getUTCFullYear();
  const y2 = new Date(last).getUTCFullYear();
  return { label: y1 === y2 ? `${y1}` : `${y1}-${y2}`, first, last };
}

export class ExtendedWriter {
  private buf: Row[] = [];
  /** Rows held back from the previous file (they land among the first rows of the next one). */
  private carry: Row[] = [];
  /** The last music rows of the previous file (repeated where downloads overlap). */
  private prevTail: Row[] = [];
  private crossed2025 = false;
  private readonly videoRows: Row[] = [];
  private readonly out: ExtendedFiles = { audioFiles: [], videoFiles: [], duplicateFile: null, recordsInFiles: 0, exactDuplicates: 0 };

  /** `rng`: the layout stream (disorder, hold-backs); never the simulation's. */
  constructor(
    private readonly dir: string,
    private readonly recordsPerFile: number,
    private readonly rng: Rand,
  ) {}

  add(row: Row): void {
    if (row.kind === "video") {
      this.videoRows.push(row);
      return;
    }
    if (!this.crossed2025 && row.tsMs >= AUDIOBOOK_FROM) {
      this.crossed2025 = true;
      // Keep 2025 files pure: the file before the switch holds nothing back.
      if (this.buf.length) this.flush(false, false);
    } else if (this.buf.length >= this.recordsPerFile) this.flush(false, true);
    this.buf.push(row);
  }

  /** Writes the last audio file, the video file and the placeholder PDF. */
  finish(): ExtendedFiles {
    this.flush(true, false);
    const rows = this.videoRows;
    if (rows.length) {
      const { label, first, last } = yearsLabel(rows);
      const name = `Streaming_History_Video_${label}.json`;
      fs.writeFileSync(path.join(this.dir, name), fileText(rows));
      this.out.recordsInFiles += rows.length;
      this.out.videoFiles.push({ name, records: rows.length, firstTs: isoSecondsZ(first), lastTs: isoSecondsZ(last) });
    }
    fs.writeFileSync(path.join(this.dir, "ReadMeFirst_ExtendedStreamingHistory.pdf"), pdfBytes("Read Me First: Extended Streaming History"));
    return this.out;
  }

  private flush(final: boolean, holdBack: boolean): void {
    const rng = this.rng;
    const out = this.out;
    const rows = this.buf;
    this.buf = [];
    for (const c of this.carry) rows.splice(rng.int(0, Math.min(50, rows.length)), 0, c);
    this.carry = [];
    for (let i = 0; i < rows.length; i++) {
      if (rng.chance(0.02)) {
        const j = i + 1 + rng.int(0, 19);
        if (j < rows.length) [rows[i], rows[j]] = [rows[j], rows[i]];
      }
    }
    if (!final && holdBack && rows.length > 40) {
      const h = rng.int(3, 8);
      this.carry = rows.splice(rows.length - h - rng.int(0, 20), h);
    }
    const index = out.audioFiles.length;
    // Overlapping downloads: the tail of the previous file repeated at the head of every third file.
    const is2025 = rows.length > 0 && rows[rows.length - 1].tsMs >= AUDIOBOOK_FROM;
    const prevTail = this.prevTail;
    if (index % 3 === 2 && prevTail.length && prevTail.every((r) => r.tsMs >= AUDIOBOOK_FROM === is2025)) {
      rows.unshift(...prevTail);
      out.exactDuplicates += prevTail.length;
    }
    const { label, first, last } = yearsLabel(rows);
    const name = `Streaming_History_Audio_${label}_${index}.json`;
    const text = fileText(rows);
    fs.writeFileSync(path.join(this.dir, name), text);
    out.recordsInFiles += rows.length;
    out.audioFiles.push({ name, records: rows.length, firstTs: isoSecondsZ(first), lastTs: isoSecondsZ(last) });
    if (index === 1) {
      // A second browser download of the same file.
      const copy = name.replace(/\.json$/, " (1).json");
      fs.writeFileSync(path.join(this.dir, copy), text);
      out.recordsInFiles += rows.length;
      const byKind: Record<RowKind, number> = { music: 0, podcast: 0, audiobook: 0, local: 0, video: 0 };
      for (const r of rows) byKind[r.kind]++;
      out.duplicateFile = { name: copy, copyOf: name, records: rows.length, byKind };
    }
    this.prevTail = rows.filter((r) => r.kind === "music").slice(-6);
  }
}
