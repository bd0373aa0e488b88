/**
 * What the report and the slides pages share: the Content-Security-Policy (no network at all;
 * scripts only by hash) and the styles of rendered blocks (long lines wrap, never cut off).
 */
import { createHash } from "crypto";
import { escapeHtml } from "../html";

/** CSP for a page whose only scripts are `scripts` (inline, allowed by their SHA-256). */
export function contentSecurityPolicy(scripts: readonly string[] = []): string {
  const hashes = scripts.map((s) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`);
  return [
    "default-src 'none'",
    `script-src ${hashes.length ? hashes.join(" ") : "'none'"}`,
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/** Inline text safe inside <script>/<style>: "</script" or "</style" would end the element early. */
export function inlineSafe(source: string, element: "script" | "style"): string {
  return source.replace(new RegExp(`</(${element})`, "gi"), "<\\/$1");
}

/** Styles of the blocks (`blocks.ts` markup) on both pages. */
export const BLOCK_CSS = `
.prose p, .prose li { overflow-wrap: anywhere; }
.prose h1, .prose h2, .prose h3 { font-size: 18px; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: 8px 12px; border-radius: 4px; font-size: 12px; }
pre.error { background: #fff0f0; color: #8a1f11; }
.table-wrap { overflow-x: auto; max-width: 100%; }
.table-wrap table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
.table-wrap caption { text-align: left; font-style: italic; padding: 4px 0; }
.table-wrap th, .table-wrap td { border-bottom: 1px solid #e3e6ea; padding: 3px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; white-space: pre-wrap; unicode-bidi: plaintext; }
.table-wrap th { background: #f6f8fa; }
figure.figure { margin: 12px 0; }
figure.figure svg, figure.figure img { max-width: 100%; height: auto; }
`;

/**
 * A complete, self-contained HTML document: `styles` and `scripts` inlined (made safe to
 * inline here) and a CSP that allows exactly those scripts and no network.
 */
export function htmlDocument(options: { title: string; styles: readonly string[]; scripts?: readonly string[]; body: string }): string {
  const scripts = (options.scripts ?? []).map((s) => inlineSafe(s, "script"));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(scripts))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
${options.styles.map((css) => `<style>${inlineSafe(css, "style")}</style>`).join("\n")}
</head>
<body>
${options.body}
${scripts.map((js) => `<script>${js}</script>`).join("\n")}
</body>
</html>
`;
}
