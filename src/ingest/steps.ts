/**
 * The ingestion loop, shared by `ingestExport` (./index) and `ingestExportAsync` (./parallel):
 * open the roots, walk their files in report order, and give each file to the handler of its
 * kind. Files no stage reads (personal data, technical-log event types no feature uses, the
 * Account Data's StreamingHistory files, non-JSON files) are listed with their size, never
 * opened: they cost nothing and a damaged one cannot stop a run.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UserInputError, isUserInputError } from "../common/errors";
import type { AccountData, FileReport, IngestOptions, IngestReport, IngestResult, PackageName, TechEvents } from "./types";
import { emptyAccount, isLibrary, isPlaylists, readLibrary, readPlaylists, readUserdata } from "./account";
import { expectsArray, isJsonName, mayBeExtended, packageOf, resolveRole, roleFromContent, roleFromName, type Role } from "./classify";
import { DROP_REASONS, ExtendedReader } from "./extended";
import { preParseBytes, type ParsedBytes, type PreParsed } from "./preparse";
import { parseJsonBytes } from "./json";
import { applyFilters, describeFilters, FILTER_ORDER } from "./filters";
import { DEFAULT_LABEL_RULE, relabel } from "./label";
import { dateRangeOf, labelCoverageOf } from "./report";
import { compareSourceOrder, listFolder, listZip, type SourceFile } from "./sources";
import { TECH_TYPES, TechCollector } from "./tech";

const HOW_TO_REQUEST =
  'Completion labels need the "Extended streaming history" package: request it on Spotify\'s Privacy settings page ("Download your data", tick "Extended streaming history"); Spotify takes up to 30 days to send it.';

/** A problem with one file; becomes a UserInputError, or a warning when lenient. */
class FileProblem extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}

interface Root {
  /** The option it came from, for messages ("export", "extendedDir"...). */
  option: keyof IngestOptions;
  path: string;
  forced: PackageName | null;
  files: SourceFile[];
}

const PACKAGE_TITLE: Record<PackageName, string> = {
  account: "Account Data",
  extended: "Extended Streaming History",
  tech: "Technical Log Information",
};

function openRoot(option: keyof IngestOptions, p: string, forced: PackageName | null): Root {
  const label = forced ? `The ${PACKAGE_TITLE[forced]} folder` : "The export path";
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new UserInputError(`${label} "${p}" (option ${option}) does not exist. Check the path; give the unzipped folder or the zip exactly as downloaded from Spotify.`, p);
  }
  let files: SourceFile[];
  if (st.isDirectory()) {
    files = listFolder(p, forced);
    if (files.length === 0) {
      throw new UserInputError(`${label} "${p}" is empty. Unzip the package from Spotify into it, or give the zip itself.`, p);
    }
  } else if (/\.zip$/i.test(p) || !isJsonName(p)) {
    files = listZip(p, null, forced);
    if (files.length === 0) {
      throw new UserInputError(`The zip "${p}" (option ${option}) contains no files.`, p);
    }
  } else {
    // A single JSON file (e.g. one endsong_0.json) is accepted as a tiny export.
    files = [{ rel: path.basename(p), base: path.basename(p), hint: forced, root: path.dirname(p), path: path.resolve(p), size: st.size, read: () => fs.readFileSync(p) }];
  }
  return { option, path: p, forced, files };
}

/** Everything the handlers add to while the files go by; `finish` turns it into the result. */
class Tally {
  readonly warnings: string[] = [];
  readonly files: FileReport[] = [];
  readonly reader = new ExtendedReader();
  readonly account: AccountData = emptyAccount();
  readonly tech = new TechCollector();
  readonly dropped: Record<string, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0]));
  rowsRead = 0;
  playlistItems = 0;
  playlistTrackItems = 0;
  eventFiles = 0;
  otherEventFiles = 0;
  readonly techCounts: Record<keyof TechEvents, number> = { connectionError: 0, playbackError: 0, stutter: 0, trackNotPlayed: 0 };
  readonly unread = { files: 0, bytes: 0 };
  /** Digest → first file with that content, for account and tech files (a second copy would double counts). */
  readonly seenSmallFiles = new Map<string, string>();
  /** Per package, over all roots: files recognised (extended: read, or failed when lenient). */
  readonly found = { extended: 0, extendedFailed: 0, account: 0, tech: 0 };
  /** Files recognised as Spotify files, copies of earlier ones included (a package folder given twice is still that package). */
  recognised = 0;
}

/** One file, read and classified, on its way to its handler. */
interface ReadFile {
  src: SourceFile;
  role: Role;
  pkg: PackageName;
  /** The parsed JSON (null for an extended file read into `pre`). */
  value: unknown;
  pre: PreParsed | undefined;
}

type Handler = (f: ReadFile, t: Tally, options: IngestOptions) => void;

const HANDLERS: Record<Role["role"], Handler> = {
  extended({ src, role, pkg, value, pre }, t, options) {
    const video = role.role === "extended" && role.video;
    const stats = pre ? t.reader.readChunk(pre.chunk, video) : t.reader.readFile(value as unknown[], video);
    t.rowsRead += stats.rows;
    for (const r of DROP_REASONS) t.dropped[r] += stats.dropped[r];
    t.found.extended++;
    const drops = DROP_REASONS.filter((r) => stats.dropped[r] > 0).map((r) => `${r} ${stats.dropped[r]}`);
    const kind = role.role === "extended" ? role.kind : "extended";
    t.files.push({ package: pkg, file: src.rel, kind, rows: stats.rows, variant: stats.variant, note: `kept ${stats.kept}${drops.length ? `; dropped ${drops.join(", ")}` : ""}` });
    if (stats.firstInvalid) {
      const where = `index ${stats.firstInvalid.index}, field "${stats.firstInvalid.field}"`;
      if (options.strictRecords) {
        throw new UserInputError(`The file "${src.rel}" in ${src.root} holds an invalid play record at ${where} (missing, unparseable or of the wrong type). Without strictRecords such records are counted and skipped.`, src.rel);
      }
      t.warnings.push(`"${src.rel}": ${stats.dropped["invalid-record"]} invalid record(s) dropped; first at ${where}.`);
    }
  },
  "account-history"({ src, pkg, value }, t) {
    // Only reached for a file recognised by its content (by name it is listed unread).
    t.found.account++;
    t.files.push({ package: pkg, file: src.rel, kind: "account-streaming-history", rows: (value as unknown[]).length, note: "no reasons or URIs: not used for labels" });
  },
  library({ src, pkg, value }, t) {
    t.found.account++;
    t.files.push({ package: pkg, file: src.rel, kind: "library", rows: readLibrary(value as Record<string, unknown>, t.account) });
  },
  playlist({ src, pkg, value }, t) {
    t.found.account++;
    const p = readPlaylists(value as Record<string, unknown>, t.account);
    t.playlistItems += p.items;
    t.playlistTrackItems += p.trackItems;
    t.files.push({ package: pkg, file: src.rel, kind: "playlists", rows: p.playlists, note: `${p.items} items, ${p.trackItems} of them tracks` });
    if (p.badDates > 0) t.warnings.push(`"${src.rel}": ${p.badDates} playlist item(s) have an unreadable addedDate; they never count as added before a play.`);
  },
  userdata({ src, pkg, value }, t) {
    t.found.account++;
    readUserdata(value, t.account);
    t.files.push({ package: pkg, file: src.rel, kind: "userdata", rows: 0, note: "country and creationTime only" });
  },
  personal() {
    // Listed unread before any handler (see listUnread).
  },
  tech({ src, role, pkg, value }, t) {
    const eventType = role.role === "tech" ? role.eventType : "";
    t.found.tech++;
    t.eventFiles++;
    const events = value as unknown[];
    const key = TECH_TYPES[eventType];
    const variant = /_Hourly/i.test(src.base) ? "_Hourly naming" : "plain naming";
    if (key) {
      const bad = t.tech.add(key, events);
      t.techCounts[key] += events.length - bad;
      if (bad > 0) t.warnings.push(`"${src.rel}": ${bad} event(s) without a readable timestamp_utc or context_time were ignored.`);
    } else {
      t.otherEventFiles++;
    }
    t.files.push({ package: pkg, file: src.rel, kind: `tech:${eventType}`, rows: events.length, variant, note: key ? undefined : "counted only" });
  },
  unknown({ src, pkg, value }, t) {
    t.files.push({ package: pkg, file: src.rel, kind: "ignored", rows: Array.isArray(value) ? value.length : 0 });
  },
};

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}

/**
 * Files whose name says no stage reads them: listed with their size (a report row) and
 * never opened. Null: the file has to be read.
 */
function listUnread(src: SourceFile, nameRole: Role | null, t: Tally): FileReport | null {
  const pkgGuess = nameRole ? packageOf(nameRole, src.hint) : src.hint ?? "account";
  const size = src.size ?? 0;
  if (!isJsonName(src.base)) {
    const readme = /readme/i.test(src.base);
    return { package: pkgGuess, file: src.rel, kind: readme ? "readme" : "skipped (not JSON)", rows: 0 };
  }
  if (nameRole?.role === "personal") {
    // Nothing in these files has a modelling use, so they are not even opened.
    t.found.account++;
    t.recognised++;
    return { package: "account", file: src.rel, kind: "personal-data (not read)", rows: 0 };
  }
  if (nameRole?.role === "account-history") {
    t.found.account++;
    t.recognised++;
    t.unread.files++;
    t.unread.bytes += size;
    return { package: "account", file: src.rel, kind: nameRole.kind, rows: 0, bytes: size, note: `not read (${sizeText(size)}): no end reasons or URIs, so no stage uses it` };
  }
  if (nameRole?.role === "tech" && !TECH_TYPES[nameRole.eventType]) {
    t.found.tech++;
    t.recognised++;
    t.eventFiles++;
    t.otherEventFiles++;
    t.unread.files++;
    t.unread.bytes += size;
    const variant = /_Hourly/i.test(src.base) ? "_Hourly naming" : "plain naming";
    return { package: "tech", file: src.rel, kind: `tech:${nameRole.eventType}`, rows: 0, bytes: size, variant, note: `not read (${sizeText(size)}): no stage uses these events` };
  }
  return null;
}

/** Reads and classifies one file; null when it was ignored with a warning (an unknown file that is not JSON). */
function readFile(src: SourceFile, nameRole: Role | null, pre: PreParsed | undefined, t: Tally): { file: ReadFile; bytes: Uint8Array | null } | null {
  if (pre) {
    if (pre.replacedInvalid) t.warnings.push(`"${src.rel}" contains bytes that are not valid UTF-8; they were replaced (U+FFFD) and the file was read anyway.`);
    return { file: { src, role: pre.role, pkg: packageOf(pre.role, src.hint), value: null, pre }, bytes: null };
  }
  const bytes = src.read();
  let parsed: ParsedBytes;
  if (mayBeExtended(nameRole, src.hint)) {
    const read = preParseBytes(bytes, src.base, nameRole);
    if ("pre" in read) return readFile(src, nameRole, read.pre, t);
    parsed = read.parsed;
  } else parsed = parseJsonBytes(bytes);
  if (parsed.replacedInvalid) t.warnings.push(`"${src.rel}" contains bytes that are not valid UTF-8; they were replaced (U+FFFD) and the file was read anyway.`);
  if ("where" in parsed) {
    const problem = `is not valid JSON (${parsed.where}). The file is damaged or incomplete: download or unzip it again`;
    // Files we rely on fail loudly; an unknown JSON file that is broken is only worth a warning.
    const important = nameRole !== null || src.hint === "extended";
    if (important) throw new FileProblem(problem);
    t.warnings.push(`"${src.rel}" ${problem}; it was ignored.`);
    t.files.push({ package: src.hint ?? "account", file: src.rel, kind: "ignored", rows: 0, note: "not valid JSON" });
    return null;
  }
  const value = parsed.value;
  const role = resolveRole(nameRole, roleFromContent(value, src.base));
  if (expectsArray(role) && !Array.isArray(value)) {
    const got = value === null ? "null" : typeof value === "object" ? "object" : typeof value;
    throw new FileProblem(`holds a JSON ${got} where a list (JSON array) of records belongs; it does not look like an unmodified Spotify export file`);
  }
  return { file: { src, role, pkg: packageOf(role, src.hint), value, pre: undefined }, bytes };
}

/** An account or tech file whose exact content was already read: reported, not counted twice. */
function isRepeat(f: ReadFile, bytes: Uint8Array | null, t: Tally): boolean {
  if (f.role.role === "extended" || f.role.role === "unknown") return false;
  // Keyed by type too: two event types may legitimately hold identical arrays (e.g. `[]`).
  const digest = `${f.role.role === "tech" ? f.role.eventType : f.role.role}:${createHash("sha1").update(bytes as Uint8Array).digest("hex")}`;
  const original = t.seenSmallFiles.get(digest);
  if (original === undefined) {
    t.seenSmallFiles.set(digest, f.src.rel);
    return false;
  }
  t.files.push({ package: f.pkg, file: f.src.rel, kind: "skipped-duplicate", rows: Array.isArray(f.value) ? f.value.length : 0, note: `same content as ${original}` });
  return true;
}

/** Named like a library/playlist file but shaped otherwise (damaged, or a newer format): not needed for labels, so warn and skip. */
function isMisshapen(f: ReadFile, t: Tally): boolean {
  if (!((f.role.role === "library" && !isLibrary(f.value)) || (f.role.role === "playlist" && !isPlaylists(f.value)))) return false;
  const expected = f.role.role === "library" ? 'an object with a "tracks" list' : 'an object with a "playlists" list';
  t.warnings.push(`"${f.src.rel}" is not ${expected} as expected of this Account Data file; it was ignored.`);
  t.files.push({ package: f.pkg, file: f.src.rel, kind: "ignored", rows: 0, note: "unrecognised shape" });
  return true;
}

/**
 * The whole ingestion as a generator: it yields every file it is about to read (in the
 * order the report lists them), and the driver may answer with that file already parsed into
 * an `ExtendedChunk` (by a worker, see ./parallel) instead of `undefined` (read it here).
 * Either way the result is the same.
 */
export function* ingestSteps(options: IngestOptions, onPlan?: (ordered: SourceFile[]) => void): Generator<{ src: SourceFile }, IngestResult, PreParsed | undefined> {
  const roots: Root[] = [];
  if (options.export) roots.push(openRoot("export", options.export, null));
  if (options.extendedDir) roots.push(openRoot("extendedDir", options.extendedDir, "extended"));
  if (options.accountDir) roots.push(openRoot("accountDir", options.accountDir, "account"));
  if (options.techDir) roots.push(openRoot("techDir", options.techDir, "tech"));
  if (roots.length === 0) {
    throw new UserInputError("No export given: pass the folder or zip of your Spotify data export (export), or the package folders (extendedDir, accountDir, techDir).");
  }
  const lenient = options.lenient === true;
  const t = new Tally();
  const sortedFiles = roots.map((root) => [...root.files].sort(compareSourceOrder));
  if (onPlan) onPlan(sortedFiles.flat());
  for (let ri = 0; ri < roots.length; ri++) {
    const before = { extended: t.found.extended, recognised: t.recognised };
    for (const src of sortedFiles[ri]) {
      const nameRole = roleFromName(src.base, src.hint);
      const unread = listUnread(src, nameRole, t);
      if (unread) {
        t.files.push(unread);
        continue;
      }
      const pre: PreParsed | undefined = yield { src };
      try {
        const read = readFile(src, nameRole, pre, t);
        if (!read || isMisshapen(read.file, t)) continue;
        if (read.file.role.role !== "unknown") t.recognised++;
        if (isRepeat(read.file, read.bytes, t)) continue;
        HANDLERS[read.file.role.role](read.file, t, options);
      } catch (error) {
        if (error instanceof FileProblem) {
          if (!lenient) throw new UserInputError(`The file "${src.rel}" in ${src.root} ${error.problem}.`, src.rel);
        } else if (!lenient || !isUserInputError(error) || options.strictRecords) {
          throw error;
        }
        if (nameRole?.role === "extended" || src.hint === "extended") t.found.extendedFailed++;
        // The report names only the relative path: the root may be a home folder carrying a user name.
        t.warnings.push(`Skipped "${src.rel}" (lenient): ${error instanceof FileProblem ? error.problem : "it could not be read or unpacked"}.`);
        const pkgGuess = nameRole ? packageOf(nameRole, src.hint) : src.hint ?? "account";
        t.files.push({ package: pkgGuess, file: src.rel, kind: "error", rows: 0, note: "skipped, see warnings" });
      }
    }
    checkRoot(roots[ri], { extended: t.found.extended - before.extended, recognised: t.recognised - before.recognised }, lenient);
  }
  checkFound(roots, t);
  return finish(t, options);
}

/** An explicitly given package folder must contain that package. */
function checkRoot(root: Root, f: { extended: number; recognised: number }, lenient: boolean): void {
  if (lenient) return;
  if (root.forced === "extended" && f.extended === 0) {
    throw new UserInputError(
      `The Extended Streaming History folder "${root.path}" (option ${root.option}) contains no play history files (endsong_*.json or Streaming_History_Audio_*.json). Check that it is the unzipped "Spotify Extended Streaming History" folder. ${HOW_TO_REQUEST}`,
      root.path,
    );
  }
  if (root.forced && root.forced !== "extended" && f.recognised === 0) {
    throw new UserInputError(`The ${PACKAGE_TITLE[root.forced]} folder "${root.path}" (option ${root.option}) contains no recognisable Spotify files.`, root.path);
  }
}

/** No play history anywhere: say which packages were found and how to get the one that is missing. */
function checkFound(roots: Root[], t: Tally): void {
  const found = t.found;
  if (found.extended > 0 || found.extendedFailed > 0) return;
  const where = roots.map((r) => `"${r.path}"`).join(", ");
  if (found.account > 0 && found.tech > 0) {
    throw new UserInputError(`${where} holds the Account Data and Technical Log Information packages but no Extended Streaming History (no endsong_*.json or Streaming_History_Audio_*.json files). The Account Data's StreamingHistory files have no end reasons, so they cannot say which plays you finished. ${HOW_TO_REQUEST}`);
  }
  if (found.account > 0) {
    throw new UserInputError(`${where} holds only the Account Data package (the last year of plays without end reasons). ${HOW_TO_REQUEST}`);
  }
  if (found.tech > 0) {
    throw new UserInputError(`${where} holds only the Technical Log Information package, which has no play history. ${HOW_TO_REQUEST}`);
  }
  throw new UserInputError(`No recognisable Spotify export files were found in ${where}: expected endsong_*.json or Streaming_History_Audio_*.json (Extended Streaming History), StreamingHistory*.json / YourLibrary.json (Account Data) or technical log files. Give the folder you unzipped the download into, or the zip itself.`);
}

function finish(t: Tally, options: IngestOptions): IngestResult {
  // Filters first (the user's "whose plays count"), then the completion rule on what is left.
  const filtered = applyFilters(t.reader.builder.finish(), options.filters);
  for (const name of FILTER_ORDER) {
    const n = filtered.excluded[name];
    if (n !== undefined) t.dropped[`excluded-${name}`] = n;
  }
  for (const u of filtered.unmatched) t.warnings.push(`The filter ${u} matched no play; check its spelling.`);
  const labelled = relabel(filtered.plays, options.label ?? DEFAULT_LABEL_RULE);
  const plays = labelled.plays;
  const report: IngestReport = {
    files: t.files,
    rowsRead: t.rowsRead,
    rowsKept: plays.length,
    dropped: t.dropped,
    dateRange: dateRangeOf(plays),
    labelCoverage: labelCoverageOf(plays),
    account: {
      libraryTracks: t.account.libraryTracks.length,
      playlists: t.account.playlistCount,
      playlistItems: t.playlistItems,
      playlistTrackItems: t.playlistTrackItems,
      bannedTracks: t.account.bannedTrackUris.length,
      country: t.account.country,
    },
    tech: { ...t.techCounts, eventFiles: t.eventFiles, otherEventFiles: t.otherEventFiles },
    unread: t.unread,
    warnings: t.warnings,
    filters: describeFilters(options.filters),
    label: labelled.report,
  };
  return { plays, account: t.account, tech: t.tech.finish(), report };
}
