/**
 * What an export holds, without parsing it: every file's path, package (guessed from the
 * folder names, as ingestion does first) and size. For 00_setup_check, which must stay fast
 * on a lifetime export, and for the stage cache's fingerprint, which walks the same files.
 */
import * as fs from "fs";
import * as path from "path";
import { unzipSync } from "fflate";
import { packageHint } from "../ingest/sources";
import type { IngestOptions, PackageName } from "../ingest/types";

export interface ExportFile {
  /** "export/…", "extended/…", "account/…" or "tech/…": which option the file came from, then its path under it. */
  file: string;
  /** Absolute path on disk (for a zip entry: the zip). */
  abs: string;
  /** Package guessed from the path (ingestion decides from the content). */
  package: PackageName | null;
  bytes: number;
  /** Set for entries inside a zip. */
  inZip?: boolean;
}

export interface ExportListing {
  /** The paths given, as given. */
  roots: string[];
  /** Paths given that do not exist or cannot be read. */
  missing: string[];
  /** Files in name order (zip entries listed from the zip's table of contents). */
  files: ExportFile[];
  totalBytes: number;
}

const byName = (a: fs.Dirent, b: fs.Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Lists the files of the export options (folders walked 6 levels deep; zips by their table of contents when `zipEntries`). */
export function listExportFiles(input: IngestOptions, options: { zipEntries?: boolean } = {}): ExportListing {
  const given: [string | undefined, string, PackageName | null][] = [
    [input.export, "export", null],
    [input.extendedDir, "extended", "extended"],
    [input.accountDir, "account", "account"],
    [input.techDir, "tech", "tech"],
  ];
  const files: ExportFile[] = [];
  const missing: string[] = [];
  const add = (abs: string, rel: string, forced: PackageName | null, bytes: number): void => {
    files.push({ file: rel, abs, package: forced ?? packageHint(rel), bytes });
    if (options.zipEntries && /\.zip$/i.test(abs)) {
      for (const e of zipEntries(abs)) files.push({ file: `${rel}/${e.name}`, abs, package: forced ?? packageHint(e.name), bytes: e.bytes, inZip: true });
    }
  };
  const walk = (abs: string, rel: string, forced: PackageName | null, depth: number): void => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort(byName)) {
      const childAbs = path.join(abs, e.name);
      const childRel = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (depth < 6) walk(childAbs, childRel, forced, depth + 1);
      } else if (e.isFile()) {
        add(childAbs, childRel, forced, fs.statSync(childAbs).size);
      }
    }
  };
  for (const [root, label, forced] of given) {
    if (!root) continue;
    try {
      const st = fs.statSync(root);
      if (st.isDirectory()) walk(root, label, forced, 0);
      else add(root, `${label}/${path.basename(root)}`, forced, st.size);
    } catch {
      missing.push(root);
    }
  }
  return {
    roots: given.map(([r]) => r).filter((r): r is string => !!r),
    missing,
    files,
    totalBytes: files.filter((f) => !f.inZip).reduce((s, f) => s + f.bytes, 0),
  };
}

function zipEntries(zipPath: string): { name: string; bytes: number }[] {
  const out: { name: string; bytes: number }[] = [];
  try {
    unzipSync(fs.readFileSync(zipPath), {
      filter: (f) => {
        if (!f.name.endsWith("/")) out.push({ name: f.name, bytes: f.originalSize });
        return false;
      },
    });
  } catch {
    // not a readable zip: 01_ingest names the problem in its own words
  }
  return out;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);

/** One sentence on what the export holds, computed from the listing. */
export function exportListingSentence(listing: ExportListing): string {
  if (listing.roots.length === 0) return "No export was given: set SPOTIFY_EXPORT (a folder or the downloaded zip) or the parameters cell's SPOTIFY_EXPORT.";
  if (listing.missing.length) return `Nothing found at ${listing.missing.join(", ")}: set SPOTIFY_EXPORT to the folder holding your export's packages, or to the zip as downloaded.`;
  const data = listing.files.filter((f) => !/\.zip$/i.test(f.file) || f.inZip);
  const count = (p: PackageName) => data.filter((f) => f.package === p && /\.json$/i.test(f.file));
  const parts = (["extended", "account", "tech"] as const).map((p) => {
    const fs_ = count(p);
    const label = p === "extended" ? "Extended Streaming History" : p === "account" ? "Account Data" : "Technical Log";
    return `${fs_.length} ${label} JSON file(s) (${mb(fs_.reduce((s, f) => s + f.bytes, 0))} MB)`;
  });
  const zips = listing.files.filter((f) => !f.inZip && /\.zip$/i.test(f.file)).length;
  return (
    `The export holds ${data.length} file(s), ${mb(listing.totalBytes)} MB on disk${zips ? ` (${zips} zip archive(s), listed from their table of contents)` : ""}: ${parts.join(", ")}. ` +
    `Nothing was parsed here: 01_ingest reads them.`
  );
}
