/**
 * Extended Streaming History bytes → ExtendedChunk in one pass, without JSON.parse.
 *
 * Nearly all of an export is one shape: a JSON array of flat records with the same keys in
 * the same order. JSON.parse builds an object per record and a string per field (the
 * personal ones included) only for `ChunkCoder` to read a few fields and drop the rest.
 * This scanner reads the read fields straight from the bytes into one reused record and
 * hands it to the same `ChunkCoder`, so validation and coding stay in one place.
 *
 * It accepts only strict JSON of that shape, and DECLINES (returns null) on anything else:
 * invalid UTF-8, a BOM, an empty array, an element that is not an object, a nested value,
 * an escaped key, a read field given twice, malformed syntax. The caller then parses the
 * file with JSON.parse, which gives the same value, or the error and its position. So for
 * every input the result equals `parseChunk(JSON.parse(text))`: test/ingest-scan.test.ts
 * checks that on generated and hand-written files.
 *
 * Measured on the bench's 200k-play export (16 files, 194 MB): JSON.parse + parseChunk
 * 2.1–2.8 s, this scanner 1.0–1.8 s (bench/README, fourteenth pass).
 */
import { isUtf8 } from "buffer";
import { ChunkCoder, extendedVariant, RECORD_FIELDS, type ExtendedChunk, type PlayRecord } from "./extended";

/** A record's keys, as the first record of the file has them (values are not kept). */
export type FirstRecordKeys = Record<string, null>;

export interface ScannedFile {
  chunk: ExtendedChunk;
  /** The first record's keys, for `roleFromContent`. */
  first: FirstRecordKeys;
}

const READ_FIELDS = RECORD_FIELDS.length;
/** Distinct keys a file may use before the scanner gives up (records have ~25). */
const MAX_KEYS = 64;
/** Bytes per record, low (data-sample's records: ~650 as compact JSON, ~870 indented): sizes the coder's arrays once, with room. */
const MIN_RECORD_BYTES = 400;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;

/** Buffer's unlisted one-encoding slicers, when this Node has them (several times faster than toString on short strings). */
type SlicingBuffer = Buffer & { latin1Slice?: (start: number, end: number) => string; utf8Slice?: (start: number, end: number) => string };
const HAS_FAST_SLICE = typeof (Buffer.prototype as SlicingBuffer).latin1Slice === "function" && typeof (Buffer.prototype as SlicingBuffer).utf8Slice === "function";

function sliceText(buf: SlicingBuffer, from: number, to: number, ascii: boolean): string {
  if (HAS_FAST_SLICE) return ascii ? buf.latin1Slice!(from, to) : buf.utf8Slice!(from, to);
  return buf.toString(ascii ? "latin1" : "utf8", from, to);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

/** Offsets of a string's end (its closing quote) and what it holds; `end` is -1 for invalid JSON. */
interface StringSpan {
  end: number;
  escaped: boolean;
  ascii: boolean;
}

/** Bytes that stand for themselves inside a JSON string: printable ASCII but the quote and backslash. */
const PLAIN = new Uint8Array(256);
for (let c = 32; c < 128; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/** The JSON string whose opening quote is at `from - 1`. */
function scanString(bytes: Uint8Array, from: number, out: StringSpan): void {
  let escaped = false;
  let ascii = true;
  let i = from;
  for (;;) {
    while (PLAIN[bytes[i]] === 1) i++;
    const c = bytes[i];
    if (c === QUOTE) {
      out.end = i;
      out.escaped = escaped;
      out.ascii = ascii;
      return;
    }
    if (c >= 128) {
      ascii = false;
      i++;
    } else if (c === BACKSLASH) {
      escaped = true;
      const e = bytes[i + 1];
      if (e === 117) {
        if (!(HEX[bytes[i + 2]] && HEX[bytes[i + 3]] && HEX[bytes[i + 4]] && HEX[bytes[i + 5]])) break;
        i += 6;
      } else if (SIMPLE_ESCAPE[e]) i += 2;
      else break;
    } else break; // a control character, or the end of the bytes
  }
  out.end = -1;
}

/** End of the JSON number starting at `from`, or -1 when it is not one (`-`, `01`, `2.`, `1e+`). */
function numberEnd(bytes: Uint8Array, from: number): number {
  let i = from;
  if (bytes[i] === 45) i++; // -
  const d0 = bytes[i];
  if (d0 === 48) i++;
  else if (d0 >= 49 && d0 <= 57) while (bytes[i] >= 48 && bytes[i] <= 57) i++;
  else return -1;
  if (bytes[i] === 46) {
    i++;
    if (!(bytes[i] >= 48 && bytes[i] <= 57)) return -1;
    while (bytes[i] >= 48 && bytes[i] <= 57) i++;
  }
  if (bytes[i] === 101 || bytes[i] === 69) {
    i++;
    if (bytes[i] === 43 || bytes[i] === 45) i++;
    if (!(bytes[i] >= 48 && bytes[i] <= 57)) return -1;
    while (bytes[i] >= 48 && bytes[i] <= 57) i++;
  }
  return i;
}

/** The value of the JSON number in bytes [from, to), as JSON.parse gives it. */
function readNumber(buf: SlicingBuffer, from: number, to: number): number {
  const negative = buf[from] === 45;
  const start = negative ? from + 1 : from;
  // Up to 15 digits, an integer is exact in a double: add it up. Anything else: Number(), which rounds as JSON.parse does.
  if (to - start <= 15) {
    let v = 0;
    let i = start;
    for (; i < to; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === to) return negative ? -v : v;
  }
  return Number(sliceText(buf, from, to, true));
}

/** Whether the bytes at `at` are those of `word`. */
function spells(bytes: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (bytes[at + k] !== word[k]) return false;
  return true;
}
const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");

/**
 * Keys met so far: the read fields first (index = RECORD_FIELDS position), then every other key
 * in the order met. Records repeat one key order, so the key after key k is guessed from the last
 * record and checked byte by byte; only a miss searches the table.
 */
class KeyTable {
  readonly names: string[] = [...RECORD_FIELDS];
  private readonly bytes: Uint8Array[] = RECORD_FIELDS.map((f) => Buffer.from(f));
  /** Per key (and at MAX_KEYS, the start of a record): the key that followed it last. */
  private readonly after = new Int32Array(MAX_KEYS + 1).fill(0);

  /**
   * The key whose name starts at `from` (after its opening quote) and follows key `prev`
   * (MAX_KEYS: first in its record), with `span.end` set to its closing quote; -1 when the key
   * is escaped, not JSON, or one too many.
   */
  find(src: Uint8Array, from: number, prev: number, span: StringSpan): number {
    // The guess: its bytes then a quote. Its name has no quote, backslash or control byte, so that is the whole key.
    const guess = this.after[prev];
    const len = this.bytes[guess].length;
    if (spells(src, from, this.bytes[guess]) && src[from + len] === QUOTE) {
      span.end = from + len;
      return guess;
    }
    scanString(src, from, span);
    if (span.end < 0 || span.escaped) return -1;
    const to = span.end;
    let k = 0;
    while (k < this.bytes.length && !this.matches(k, src, from, to)) k++;
    if (k === this.bytes.length) {
      if (k === MAX_KEYS) return -1;
      this.bytes.push(Uint8Array.from(src.subarray(from, to)));
      // Without escapes, a key's text is its UTF-8 bytes.
      this.names.push(Buffer.from(src.buffer, src.byteOffset + from, to - from).toString("utf8"));
    }
    this.after[prev] = k;
    return k;
  }

  private matches(k: number, src: Uint8Array, from: number, to: number): boolean {
    return this.bytes[k].length === to - from && spells(src, from, this.bytes[k]);
  }
}

/** Stores read field k (RECORD_FIELDS order) on the reused record: a switch keeps each store monomorphic. */
function setField(r: PlayRecord, k: number, v: unknown): void {
  switch (k) {
    case 0: r.ts = v; break;
    case 1: r.platform = v; break;
    case 2: r.ms_played = v; break;
    case 3: r.conn_country = v; break;
    case 4: r.master_metadata_track_name = v; break;
    case 5: r.master_metadata_album_artist_name = v; break;
    case 6: r.master_metadata_album_album_name = v; break;
    case 7: r.spotify_track_uri = v; break;
    case 8: r.episode_name = v; break;
    case 9: r.episode_show_name = v; break;
    case 10: r.spotify_episode_uri = v; break;
    case 11: r.audiobook_title = v; break;
    case 12: r.audiobook_uri = v; break;
    case 13: r.audiobook_chapter_uri = v; break;
    case 14: r.audiobook_chapter_title = v; break;
    case 15: r.reason_start = v; break;
    case 16: r.reason_end = v; break;
    case 17: r.shuffle = v; break;
    case 18: r.skipped = v; break;
    case 19: r.offline = v; break;
    case 20: r.offline_timestamp = v; break;
    case 21: r.incognito_mode = v; break;
  }
}

function emptyRecord(): PlayRecord {
  const r: PlayRecord = {};
  for (const f of RECORD_FIELDS) r[f] = undefined;
  return r;
}

/**
 * The chunk `parseChunk(JSON.parse(text))` gives for an extended-history file, and its first
 * record's keys; or null (declined: see the module comment) when the caller must parse it.
 */
export function scanExtendedArray(bytes: Uint8Array): ScannedFile | null {
  if (!isUtf8(bytes)) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as SlicingBuffer;
  const n = buf.length;
  const keys = new KeyTable();
  const coder = new ChunkCoder(Math.ceil(n / MIN_RECORD_BYTES));
  const rec = emptyRecord();
  const span: StringSpan = { end: 0, escaped: false, ascii: true };
  // Per read field, the previous record's value and its bytes: a repeat reuses the string.
  const lastFrom = new Int32Array(READ_FIELDS).fill(-1);
  const lastTo = new Int32Array(READ_FIELDS);
  const lastValue: unknown[] = new Array<unknown>(READ_FIELDS).fill(null);
  let first: FirstRecordKeys | null = null;
  let lastSeen = 0;

  let i = 0;
  while (isSpace(buf[i])) i++;
  if (buf[i] !== OPEN_ARRAY) return null;
  i++;
  while (isSpace(buf[i])) i++;
  if (buf[i] === CLOSE_ARRAY) return null; // [] is rare: JSON.parse handles it
  for (;;) {
    // One record: {"key": value, ...}
    if (buf[i] !== OPEN_OBJECT) return null;
    i++;
    let seen = 0;
    let prev = MAX_KEYS;
    const firstKeys: FirstRecordKeys | null = first ? null : (Object.create(null) as FirstRecordKeys);
    while (isSpace(buf[i])) i++;
    if (buf[i] !== CLOSE_OBJECT) {
      for (;;) {
        if (buf[i] !== QUOTE) return null;
        const k = keys.find(buf, i + 1, prev, span);
        if (k < 0) return null;
        prev = k;
        if (firstKeys) firstKeys[keys.names[k]] = null;
        i = span.end + 1;
        while (isSpace(buf[i])) i++;
        if (buf[i] !== COLON) return null;
        i++;
        while (isSpace(buf[i])) i++;
        const read = k < READ_FIELDS;
        if (read) {
          if (seen & (1 << k)) return null; // JSON.parse would keep the last; rare enough to leave to it
          seen |= 1 << k;
        }
        const c = buf[i];
        if (c === QUOTE) {
          scanString(buf, i + 1, span);
          const to = span.end;
          if (to < 0) return null;
          if (read) {
            const from = i + 1;
            let value: unknown;
            const lf = lastFrom[k];
            if (lf >= 0 && lastTo[k] - lf === to - from && bytesEqual(buf, lf, from, to - from)) value = lastValue[k];
            else if (span.escaped) {
              try {
                value = JSON.parse(sliceText(buf, i, to + 1, span.ascii));
              } catch {
                return null;
              }
            } else value = sliceText(buf, from, to, span.ascii);
            if (!span.escaped) {
              lastFrom[k] = from;
              lastTo[k] = to;
              lastValue[k] = value;
            }
            setField(rec, k, value);
          }
          i = to + 1;
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          const to = numberEnd(buf, i);
          if (to < 0) return null;
          if (read) setField(rec, k, readNumber(buf, i, to));
          i = to;
        } else if (c === 116 && spells(buf, i, TRUE)) {
          if (read) setField(rec, k, true);
          i += 4;
        } else if (c === 102 && spells(buf, i, FALSE)) {
          if (read) setField(rec, k, false);
          i += 5;
        } else if (c === 110 && spells(buf, i, NULL)) {
          if (read) setField(rec, k, null);
          i += 4;
        } else return null; // a nested value, or not JSON
        while (isSpace(buf[i])) i++;
        if (buf[i] === COMMA) {
          i++;
          while (isSpace(buf[i])) i++;
          continue;
        }
        if (buf[i] === CLOSE_OBJECT) break;
        return null;
      }
    }
    i++; // }
    // The record is reused: a field the last record had and this one lacks is cleared.
    const stale = lastSeen & ~seen;
    if (stale !== 0) for (let f = 0; f < READ_FIELDS; f++) if (stale & (1 << f)) setField(rec, f, undefined);
    lastSeen = seen;
    if (firstKeys) first = firstKeys;
    coder.add(rec);
    while (isSpace(buf[i])) i++;
    if (buf[i] === COMMA) {
      i++;
      while (isSpace(buf[i])) i++;
      continue;
    }
    if (buf[i] !== CLOSE_ARRAY) return null;
    i++;
    while (isSpace(buf[i])) i++;
    if (i !== n) return null;
    break;
  }
  const keysOfFirst = first as FirstRecordKeys;
  return { chunk: coder.finish(extendedVariant(keysOfFirst)), first: keysOfFirst };
}

function bytesEqual(buf: Uint8Array, a: number, b: number, length: number): boolean {
  for (let j = 0; j < length; j++) if (buf[a + j] !== buf[b + j]) return false;
  return true;
}
