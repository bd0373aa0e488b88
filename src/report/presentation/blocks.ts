/**
 * Blocks → safe HTML. Every block is untrusted: notebook outputs carry track and artist names
 * from the user's export. Markdown goes through markdown-it with raw HTML disabled (tags in it
 * show as text); text is escaped; HTML and SVG outputs are re-serialised by sanitize-html
 * through an allowlist (tables / SVG drawing elements), so a `<script>`, an event handler, a
 * `javascript:` link or a remote `url(…)` cannot survive even if an upstream writer forgot to
 * escape. SVG ids are prefixed per figure so several inline SVGs on one page never share one.
 */
import MarkdownIt from "markdown-it";
import sanitizeHtml from "sanitize-html";
import { escapeHtml } from "../html";
import type { Block } from "./ipynb";

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** Markdown → HTML; raw HTML in the source is shown as text, unsafe link schemes are dropped. */
export function markdownHtml(source: string): string {
  return markdown.render(source);
}

const TABLE_TAGS = ["table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
  "p", "div", "span", "br", "b", "strong", "i", "em", "code", "pre", "ul", "ol", "li", "small", "sub", "sup"];

/** An HTML output (the project's htmlTable/frameTable, or anything else a cell displayed) with only table markup kept. */
export function sanitizeOutputHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: TABLE_TAGS,
    allowedAttributes: { th: ["colspan", "rowspan", "scope"], td: ["colspan", "rowspan"], col: ["span"], colgroup: ["span"] },
    disallowedTagsMode: "discard",
  });
}

const SVG_TAGS = ["svg", "g", "path", "rect", "line", "polyline", "polygon", "circle", "ellipse", "text", "tspan",
  "title", "desc", "defs", "clipPath", "linearGradient", "radialGradient", "stop", "pattern", "mask"];
const SVG_ATTRIBUTES = ["xmlns", "version", "class", "id", "role", "aria-label", "aria-hidden", "aria-roledescription",
  "width", "height", "viewBox", "preserveAspectRatio", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry",
  "d", "points", "dx", "dy", "transform", "display", "visibility", "opacity", "fill", "fill-opacity", "fill-rule",
  "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap",
  "stroke-linejoin", "stroke-miterlimit", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
  "dominant-baseline", "alignment-baseline", "letter-spacing", "pointer-events", "clip-path", "clipPathUnits", "mask",
  "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "patternUnits", "shape-rendering"];

/** An attribute value that references something by url(): only same-document fragments (`url(#id)`) are kept. */
const REMOTE_URL = /url\(\s*['"]?(?!#)/i;

/**
 * An SVG output (vega's renderer) reduced to drawing elements and presentation attributes.
 * `prefix` makes its ids (and the `url(#id)` references to them) unique within the page.
 */
export function sanitizeSvg(svg: string, prefix: string): string {
  const rename = (value: string) => value.replace(/url\(\s*(['"]?)#([^'")\s]+)\1\s*\)/g, (_m, _q: string, id: string) => `url(#${prefix}-${id})`);
  return sanitizeHtml(svg, {
    allowedTags: SVG_TAGS,
    allowedAttributes: { "*": SVG_ATTRIBUTES },
    disallowedTagsMode: "discard",
    parser: { lowerCaseTags: false, lowerCaseAttributeNames: false, recognizeSelfClosing: true },
    transformTags: {
      "*": (tagName, attribs) => {
        const kept: Record<string, string> = {};
        for (const [name, value] of Object.entries(attribs)) {
          if (REMOTE_URL.test(value)) continue;
          kept[name] = name === "id" ? `${prefix}-${value}` : rename(value);
        }
        return { tagName, attribs: kept };
      },
    },
  });
}

/** One block as HTML; `key` makes ids unique (e.g. "nb-03-s2-b1"). */
export function blockHtml(block: Block, key: string): string {
  switch (block.kind) {
    case "markdown":
      return `<div class="prose">${markdownHtml(block.markdown)}</div>`;
    case "text":
      return `<pre class="text">${escapeHtml(block.text.replace(/\s+$/, ""))}</pre>`;
    case "error":
      return `<pre class="text error">${escapeHtml(block.text)}</pre>`;
    case "html":
      return `<div class="table-wrap">${sanitizeOutputHtml(block.html)}</div>`;
    case "svg":
      return `<figure class="figure" id="${escapeHtml(key)}">${sanitizeSvg(block.svg, key)}</figure>`;
    case "image":
      return `<figure class="figure" id="${escapeHtml(key)}"><img alt="" src="data:${block.mime};base64,${block.base64.replace(/[^A-Za-z0-9+/=]/g, "")}"></figure>`;
  }
}
