/** HTML escaping helpers for report pages. */
import { cellText } from "./rows";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escape text for use in HTML element content or a quoted attribute value. */
export function escapeHtml(text: unknown): string {
  return cellText(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON for embedding inside `<script type="application/json">`: `<`, `>`, `&`, U+2028 and
 * U+2029 become `\u003c`-style escapes, so no string value can close the script element.
 * The result is still valid JSON (`JSON.parse` gives back the same value).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) =>
    "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}
