/**
 * Ingestion entry point: export folder(s) or zip → PlayTable + AccountData + TechEvents + IngestReport.
 *
 * Files are processed one at a time (read → decode → parse → append to columns) and
 * each parsed array is released before the next file, so peak memory is the columns
 * plus one file, not the whole export.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UserInputError, isUserInputError } from "../common/errors";
import type { FileReport, IngestOptions, IngestReport, IngestResult, PackageName, TechEvents } from "./types";
import { emptyAccount, isLibrary, isPlaylists, readLibrary, readPlaylists, readUserdata } from "./account";
import { expectsArray, isJsonName, packageOf, resolveRole, roleFromContent, roleFromName, type Role } from "./classify";
import { DROP_REASONS, ExtendedReader } from "./extended";
import type { PreParsed } from "./preparse";
import { decodeText, parseJson } from "./json";
import { applyFilters, describeFilters, FILTER_ORDER } from "./filters";
import { DEFAULT_LABEL_RULE, relabel } from "./label";
import { dateRangeOf, labelCoverageOf } from "./report";
import { compareSourceOrder, listFolder, listZip, type SourceFile } from "./sources";
import { TECH_TYPES, TechCollector } from "./tech";

export { formatIngestReport } from "./report";
export { platformFamily, PLATFORM_FAMILIES, type PlatformFamily } from "./platform";
export { labelOf } from "./plays";
export * from "./filters";
export * from "./label";
export * from "./types";
export { ingestExportAsync, PARALLEL_MIN_BYTES, type ParallelIngestOptions, type ParallelIngestStats } from "./parallel";

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
    files = [{ rel: path.basename(p), base: path.basename(p), hint: forced, root: path.dirname(p), path: path.resolve(p), read: () => fs.readFileSync(p) }];
  }
  return { option, path: p, forced, files };
}

/** Reads a Spotify data export. Throws UserInputError for input the user has to fix. */
export function ingestExport(options: IngestOptions): IngestResult {
  const steps = ingestSteps(options);
  let step = steps.next();
  while (!step.done) step = steps.next(undefined);
  return step.value as IngestResult;
}

/**
 * The whole ingestion as a generator: it yields every file (in the order the report lists
 * them) before reading it, and the driver may answer with that file already parsed into an
 * `ExtendedChunk` (by a worker, see ./parallel) instead of `undefined` (read it here).
 * `ingestExport` always answers `undefined`; either way the result is the same.
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
  const warnings: string[] = [];
  const files: FileReport[] = [];
  const reader = new ExtendedReader();
  const account = emptyAccount();
  const tech = new TechCollector();
  const dropped: Record<string, number> = {};
  for (const r of DROP_REASONS) dropped[r] = 0;
  let rowsRead = 0;
  let playlistItems = 0;
  let playlistTrackItems = 0;
  let eventFiles = 0;
  let otherEventFiles = 0;
  const techCounts: Record<keyof TechEvents, number> = { connectionError: 0, playbackError: 0, stutter: 0, trackNotPlayed: 0 };
  const seenSmallFiles = new Map<string, string>();
  const found = { extended: 0, extendedFailed: 0, account: 0, tech: 0 };

  const sortedFiles = roots.map((root) => [...root.files].sort(compareSourceOrder));
  if (onPlan) onPlan(sortedFiles.flat());
  for (let ri = 0; ri < roots.length; ri++) {
    const root = roots[ri];
    const rootFound = { extended: 0, recognised: 0 };
    const sorted = sortedFiles[ri];
    for (const src of sorted) {
      const nameRole = roleFromName(src.base, src.hint);
      const pkgGuess = nameRole ? packageOf(nameRole, src.hint) : src.hint ?? "account";
      if (!isJsonName(src.base)) {
        const readme = /readme/i.test(src.base);
        files.push({ package: pkgGuess, file: src.rel, kind: readme ? "readme" : "skipped (not JSON)", rows: 0 });
        continue;
      }
      if (nameRole?.role === "personal") {
        // Nothing in these files has a modelling use, so they are not even opened.
        files.push({ package: "account", file: src.rel, kind: "personal-data (not read)", rows: 0 });
        rootFound.recognised++;
        found.account++;
        continue;
      }
      // Files we rely on fail loudly; an unknown JSON file that is broken is only worth a warning.
      const important = nameRole !== null || src.hint === "extended";
      // A chunk parsed elsewhere (always an Extended Streaming History array); undefined: read it here.
      const pre: PreParsed | undefined = yield { src };
      try {
        let bytes: Uint8Array | null = null;
        let value: unknown = null;
        let role: Role;
        if (pre) {
          if (pre.replacedInvalid) {
            warnings.push(`"${src.rel}" contains bytes that are not valid UTF-8; they were replaced (U+FFFD) and the file was read anyway.`);
          }
          role = pre.role;
        } else {
          bytes = src.read();
          const decoded = decodeText(bytes);
          if (decoded.replacedInvalid) {
            warnings.push(`"${src.rel}" contains bytes that are not valid UTF-8; they were replaced (U+FFFD) and the file was read anyway.`);
          }
          const parsed = parseJson(decoded.text);
          if ("where" in parsed) {
            const problem = `is not valid JSON (${parsed.where}). The file is damaged or incomplete: download or unzip it again`;
            if (!important) {
              warnings.push(`"${src.rel}" ${problem}; it was ignored.`);
              files.push({ package: pkgGuess, file: src.rel, kind: "ignored", rows: 0, note: "not valid JSON" });
              continue;
            }
            throw new FileProblem(problem);
          }
          value = parsed.value;
          role = resolveRole(nameRole, roleFromContent(value, src.base));
        }
        if (!pre && expectsArray(role) && !Array.isArray(value)) {
          const got = value === null ? "null" : typeof value === "object" ? "object" : typeof value;
          throw new FileProblem(`holds a JSON ${got} where a list (JSON array) of records belongs; it does not look like an unmodified Spotify export file`);
        }
        const pkg = packageOf(role, src.hint);
        // Named like a library/playlist file but shaped otherwise (damaged, or a newer format): not needed for labels, so warn and skip.
        if ((role.role === "library" && !isLibrary(value)) || (role.role === "playlist" && !isPlaylists(value))) {
          const expected = role.role === "library" ? 'an object with a "tracks" list' : 'an object with a "playlists" list';
          warnings.push(`"${src.rel}" is not ${expected} as expected of this Account Data file; it was ignored.`);
          files.push({ package: pkg, file: src.rel, kind: "ignored", rows: 0, note: "unrecognised shape" });
          continue;
        }
        if (role.role !== "unknown") rootFound.recognised++;

        // Account and tech files hold counts that a second copy would double; drop exact copies.
        if (role.role !== "extended" && role.role !== "unknown") {
          // Keyed by type too: two event types may legitimately hold identical arrays (e.g. `[]`).
          const digest = `${role.role === "tech" ? role.eventType : role.role}:${createHash("sha1").update(bytes as Uint8Array).digest("hex")}`;
          const original = seenSmallFiles.get(digest);
          if (original !== undefined) {
            files.push({ package: pkg, file: src.rel, kind: "skipped-duplicate", rows: Array.isArray(value) ? value.length : 0, note: `same content as ${original}` });
            continue;
          }
          seenSmallFiles.set(digest, src.rel);
        }

        switch (role.role) {
          case "extended": {
            const stats = pre ? reader.readChunk(pre.chunk, role.video) : reader.readFile(value as unknown[], role.video);
            rowsRead += stats.rows;
            for (const r of DROP_REASONS) dropped[r] += stats.dropped[r];
            found.extended++;
            rootFound.extended++;
            const drops = DROP_REASONS.filter((r) => stats.dropped[r] > 0).map((r) => `${r} ${stats.dropped[r]}`);
            files.push({ package: pkg, file: src.rel, kind: role.kind, rows: stats.rows, variant: stats.variant, note: `kept ${stats.kept}${drops.length ? `; dropped ${drops.join(", ")}` : ""}` });
            if (stats.firstInvalid) {
              const where = `index ${stats.firstInvalid.index}, field "${stats.firstInvalid.field}"`;
              if (options.strictRecords) {
                throw new UserInputError(`The file "${src.rel}" in ${src.root} holds an invalid play record at ${where} (missing, unparseable or of the wrong type). Without strictRecords such records are counted and skipped.`, src.rel);
              }
              warnings.push(`"${src.rel}": ${stats.dropped["invalid-record"]} invalid record(s) dropped; first at ${where}.`);
            }
            break;
          }
          case "account-history":
            found.account++;
            files.push({ package: pkg, file: src.rel, kind: role.kind, rows: (value as unknown[]).length, note: "no reasons or URIs: not used for labels" });
            break;
          case "library": {
            found.account++;
            const n = readLibrary(value as Record<string, unknown>, account);
            files.push({ package: pkg, file: src.rel, kind: "library", rows: n });
            break;
          }
          case "playlist": {
            found.account++;
            const p = readPlaylists(value as Record<string, unknown>, account);
            playlistItems += p.items;
            playlistTrackItems += p.trackItems;
            files.push({ package: pkg, file: src.rel, kind: "playlists", rows: p.playlists, note: `${p.items} items, ${p.trackItems} of them tracks` });
            if (p.badDates > 0) warnings.push(`"${src.rel}": ${p.badDates} playlist item(s) have an unreadable addedDate; they never count as added before a play.`);
            break;
          }
          case "userdata":
            found.account++;
            readUserdata(value, account);
            files.push({ package: pkg, file: src.rel, kind: "userdata", rows: 0, note: "country and creationTime only" });
            break;
          case "tech": {
            found.tech++;
            eventFiles++;
            const events = value as unknown[];
            const key = TECH_TYPES[role.eventType];
            const variant = /_Hourly/i.test(src.base) ? "_Hourly naming" : "plain naming";
            if (key) {
              const bad = tech.add(key, events);
              techCounts[key] += events.length - bad;
              if (bad > 0) warnings.push(`"${src.rel}": ${bad} event(s) without a readable timestamp_utc or context_time were ignored.`);
            } else {
              otherEventFiles++;
            }
            files.push({ package: pkg, file: src.rel, kind: `tech:${role.eventType}`, rows: events.length, variant, note: key ? undefined : "counted only" });
            break;
          }
          case "unknown":
            files.push({ package: pkg, file: src.rel, kind: "ignored", rows: Array.isArray(value) ? value.length : 0 });
            break;
        }
      } catch (error) {
        if (error instanceof FileProblem) {
          if (!lenient) throw new UserInputError(`The file "${src.rel}" in ${src.root} ${error.problem}.`, src.rel);
        } else if (!lenient || !isUserInputError(error) || options.strictRecords) {
          throw error;
        }
        if (nameRole?.role === "extended" || src.hint === "extended") found.extendedFailed++;
        // The report names only the relative path: the root may be a home folder carrying a user name.
        warnings.push(`Skipped "${src.rel}" (lenient): ${error instanceof FileProblem ? error.problem : "it could not be read or unpacked"}.`);
        files.push({ package: pkgGuess, file: src.rel, kind: "error", rows: 0, note: "skipped, see warnings" });
      }
    }
    checkRoot(root, rootFound, lenient);
  }

  if (found.extended === 0 && found.extendedFailed === 0) {
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

  // Filters first (the user's "whose plays count"), then the completion rule on what is left.
  const filtered = applyFilters(reader.builder.finish(), options.filters);
  for (const name of FILTER_ORDER) {
    const n = filtered.excluded[name];
    if (n !== undefined) dropped[`excluded-${name}`] = n;
  }
  for (const u of filtered.unmatched) warnings.push(`The filter ${u} matched no play; check its spelling.`);
  const labelled = relabel(filtered.plays, options.label ?? DEFAULT_LABEL_RULE);
  const plays = labelled.plays;
  const report: IngestReport = {
    files,
    rowsRead,
    rowsKept: plays.length,
    dropped,
    dateRange: dateRangeOf(plays),
    labelCoverage: labelCoverageOf(plays),
    account: {
      libraryTracks: account.libraryTracks.length,
      playlists: account.playlistCount,
      playlistItems,
      playlistTrackItems,
      bannedTracks: account.bannedTrackUris.length,
      country: account.country,
    },
    tech: { ...techCounts, eventFiles, otherEventFiles },
    warnings,
    filters: describeFilters(options.filters),
    label: labelled.report,
  };
  return { plays, account, tech: tech.finish(), report };
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
