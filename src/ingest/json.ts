/**
 * Bytes → text → JSON value, with errors that say WHERE a file is broken but never
 * WHAT it contains: V8's own messages quote the source text (which may be personal
 * data), so they are discarded and the position is computed by our own scanner.
 */
import { isAscii, isUtf8 } from "buffer";

export interface DecodedText {
  text: string;
  /** True when invalid UTF-8 was replaced with U+FFFD. */
  replacedInvalid: boolean;
}

const utf8 = new TextDecoder("utf-8");
/** For pieces of a file: a U+FEFF at a piece's start is text (JSON.parse must see it), not a BOM to drop. */
const utf8Piece = new TextDecoder("utf-8", { ignoreBOM: true });

export function decodeText(bytes: Uint8Array): DecodedText {
  // A UTF-16 export is unheard of, but a re-saved file can be; honour its BOM.
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: stripBom(new TextDecoder("utf-16le").decode(bytes)), replacedInvalid: false };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: stripBom(new TextDecoder("utf-16be").decode(bytes)), replacedInvalid: false };
  }
  // Most export files are pure ASCII: a Latin-1 copy is then exact and about twice as fast as UTF-8 decoding.
  if (isAscii(bytes)) {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"), replacedInvalid: false };
  }
  const valid = isUtf8(bytes);
  // TextDecoder already drops a leading UTF-8 BOM; stripBom guards against a doubled one.
  return { text: stripBom(utf8.decode(bytes)), replacedInvalid: !valid };
}

/**
 * Bytes of one piece of a JSON array at most (about): decoded, a piece stays a regular V8 string
 * (two bytes a character at most, with the brackets JSON.parse adds), not a large object.
 */
export const JSON_PIECE_BYTES = 16 * 1024;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * The JSON array in `bytes` (valid UTF-8), parsed piece by piece: runs of whole top-level elements
 * of about `pieceBytes`, cut at the commas between them, each decoded and parsed on its own.
 * Null when the bytes are not a JSON array this splitter recognises (another shape, a BOM,
 * unbalanced brackets, something after the closing bracket) or a piece does not parse: the caller
 * then decodes and parses the whole text, for the same value or the same error.
 *
 * Why: decoded whole, an export file is one string of 12–24 MB, which V8 allocates in its
 * large-object space on fresh pages and frees after JSON.parse, so every file maps new pages, at
 * ~12 µs a page on this VM. Decoding and parsing the 921 MB of a 1M-play export on one thread:
 * 533k page faults and 12.9–15.8 s whole; 115k and 8.6–9.1 s in 16 KiB pieces.
 */
export function parseJsonArrayInPieces(bytes: Uint8Array, pieceBytes = JSON_PIECE_BYTES): unknown[] | null {
  const n = bytes.length;
  let i = 0;
  while (i < n && isSpace(bytes[i])) i++;
  if (bytes[i] !== 91) return null; // [
  const out: unknown[] = [];
  const parsePiece = (from: number, to: number): boolean => {
    let part: unknown;
    try {
      part = JSON.parse("[" + utf8Piece.decode(bytes.subarray(from, to)) + "]");
    } catch {
      return false;
    }
    for (const v of part as unknown[]) out.push(v);
    return true;
  };
  let start = i + 1;
  let depth = 0;
  let inString = false;
  for (i = start; i < n; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 92) i++; // a backslash escapes the next byte (always ASCII in JSON)
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (depth > 0) depth--;
      else if (c === 125) return null;
      else {
        for (let k = i + 1; k < n; k++) if (!isSpace(bytes[k])) return null;
        return parsePiece(start, i) ? out : null;
      }
    } else if (c === 44 && depth === 0 && i - start >= pieceBytes) {
      if (!parsePiece(start, i)) return null;
      start = i + 1;
    }
  }
  return null;
}

/**
 * Bytes → JSON value, as `parseJson(decodeText(bytes).text)` gives it (value or error, and
 * whether invalid UTF-8 was replaced), a valid UTF-8 array in pieces (`parseJsonArrayInPieces`).
 */
export function parseJsonBytes(bytes: Uint8Array): JsonParseResult & { replacedInvalid: boolean } {
  if (isUtf8(bytes)) {
    const value = parseJsonArrayInPieces(bytes);
    if (value) return { ok: true, value, replacedInvalid: false };
  }
  const decoded = decodeText(bytes);
  return { ...parseJson(decoded.text), replacedInvalid: decoded.replacedInvalid };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; where: string };

export function parseJson(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, where: describePosition(text, findJsonErrorOffset(text)) };
  }
}

/** "line 3, column 14 (character 52)" or "at the end of the file". */
export function describePosition(text: string, offset: number): string {
  if (offset >= text.length) {
    return text.trim() === "" ? "the file is empty" : `unexpected end of the file (after character ${text.length})`;
  }
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1} (character ${offset})`;
}

/**
 * Offset of the first JSON syntax error, or text.length when the input ends early.
 * Iterative (explicit stack) so deeply nested garbage cannot overflow the call stack.
 * Only run after JSON.parse has failed, so it favours clarity over speed.
 */
export function findJsonErrorOffset(text: string): number {
  const n = text.length;
  let i = 0;
  // Stack of open containers: 123 '{' or 91 '['.
  const stack: number[] = [];

  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  // Returns -1 on success (i after the string) or the error offset.
  const str = (): number => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return -1;
      }
      if (c < 32) return i;
      if (c === 92) {
        const e = text.charCodeAt(i + 1);
        if (e === 117) {
          for (let k = 2; k < 6; k++) {
            if (!/[0-9a-fA-F]/.test(text.charAt(i + k))) return i + k >= n ? n : i + k;
          }
          i += 6;
        } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
          i += 2;
        } else {
          return i + 1 >= n ? n : i + 1;
        }
      } else {
        i++;
      }
    }
    return n;
  };
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  // Parses one scalar or opens a container; returns -1 or an error offset.
  const value = (): number => {
    ws();
    if (i >= n) return n;
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91) {
      stack.push(c);
      i++;
      ws();
      const close = c === 123 ? 125 : 93;
      if (text.charCodeAt(i) === close) {
        stack.pop();
        i++;
        return -1;
      }
      if (c === 123) return key();
      return value();
    }
    if (c === 34) return str();
    for (const lit of ["true", "false", "null"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return -1;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== "-" && m[0].length > 0) {
      i += m[0].length;
      return -1;
    }
    return i;
  };
  const key = (): number => {
    ws();
    if (i >= n) return n;
    if (text.charCodeAt(i) !== 34) return i;
    const e = str();
    if (e >= 0) return e;
    ws();
    if (i >= n) return n;
    if (text.charCodeAt(i) !== 58) return i;
    i++;
    return value();
  };

  let err = value();
  while (err < 0) {
    // After a value: close containers or continue with a comma.
    ws();
    if (stack.length === 0) {
      return i < n ? i : n + 1; // trailing garbage, or (n + 1) = "no error found"
    }
    if (i >= n) return n;
    const top = stack[stack.length - 1];
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      err = top === 123 ? key() : value();
    } else if ((top === 123 && c === 125) || (top === 91 && c === 93)) {
      stack.pop();
      i++;
    } else {
      return i;
    }
  }
  return err;
}
