/**
 * The slides page: reveal.js (from npm, its JS and CSS inlined: the file opens offline on its
 * own), a title slide with the export's date range and the run's headline numbers, then one
 * slide per numbered section (`## 3. …`) of every notebook, in order. A section's figures are
 * shown full size (scaled to the slide), each with the sentences computed right after it; a
 * section with several figures becomes a vertical stack, one figure per slide. Sections
 * without a figure show their sentences and first table. Code and stdout never appear.
 */
import * as fs from "fs";
import { escapeHtml } from "../html";
import { blockHtml } from "./blocks";
import { headlineHtml, type Headline } from "./headline";
import type { Block, NotebookDoc, Section } from "./ipynb";
import { BLOCK_CSS, htmlDocument } from "./page";

/** reveal.js's script, core CSS and the white theme (its font is embedded as data:). */
export function revealAssets(): { js: string; css: string } {
  const read = (id: string) => fs.readFileSync(require.resolve(id), "utf8");
  const css = `${read("reveal.js/reveal.css")}\n${read("reveal.js/theme/white.css")}`;
  // A theme that @imports a web font would make a network request: refuse rather than ship it.
  if (/@import|url\(\s*['"]?(https?:)?\/\//i.test(css)) throw new Error("reveal.js CSS references a remote resource");
  return { js: read("reveal.js"), css };
}

const INIT = `Reveal.initialize({ hash: true, width: 1280, height: 720, margin: 0.04, center: false, transition: "none", slideNumber: "c/t", controls: true, progress: true });`;

const STYLE = `
.reveal { font-size: 28px; }
.reveal .slides { text-align: left; }
.reveal .page { height: 690px; display: flex; flex-direction: column; gap: 8px; overflow-y: auto; }
.reveal .page .notebook { font-size: 16px; color: #666; margin: 0; text-transform: none; }
.reveal .page h2 { font-size: 36px; margin: 0; text-transform: none; }
.reveal .page figure.figure { flex: 1 1 auto; min-height: 0; margin: 0; display: flex; justify-content: center; }
.reveal .page figure.figure svg, .reveal .page figure.figure img { width: 100%; height: 100%; max-width: none; }
.reveal .page .prose { font-size: 22px; line-height: 1.35; }
.reveal .page .prose p { margin: 4px 0; }
.reveal .page .table-wrap { flex: 0 1 auto; min-height: 0; overflow: auto; }
.reveal .page .prose h1, .reveal .page .prose h2, .reveal .page .prose h3 { font-size: 26px; text-transform: none; margin: 8px 0 4px; }
.reveal .page .table-wrap table { font-size: 16px; }
.reveal .title-page h1 { font-size: 52px; text-transform: none; }
.reveal .title-page .range { font-size: 32px; }
.reveal .title-page ul.facts { font-size: 24px; }
.reveal .title-page .missing { color: #8a1f11; font-size: 20px; }
${BLOCK_CSS}`;

interface Page {
  figure: Block | null;
  table: Block | null;
  sentences: Block[];
}

const isFigure = (b: Block) => b.kind === "svg" || b.kind === "image";
const isSentence = (b: Block) => b.kind === "markdown" && b.origin === "output";

/** A section's slides: one per figure (with the sentences computed after it), or one with its sentences and first table. */
export function sectionPages(section: Section): Page[] {
  const pages: Page[] = [];
  const lead: Block[] = [];
  for (const block of section.blocks) {
    if (isFigure(block)) pages.push({ figure: block, table: null, sentences: pages.length === 0 ? lead.splice(0) : [] });
    else if (isSentence(block)) (pages[pages.length - 1]?.sentences ?? lead).push(block);
  }
  if (pages.length > 0) return pages;
  return [{ figure: null, table: section.blocks.find((b) => b.kind === "html") ?? null, sentences: lead }];
}

function pageHtml(doc: NotebookDoc, section: Section, page: Page, key: string, continued: boolean): string {
  const parts = [
    `<p class="notebook">${escapeHtml(doc.title)}</p>`,
    `<h2>${escapeHtml(section.title)}${continued ? " <small>(continued)</small>" : ""}</h2>`,
    page.figure ? blockHtml(page.figure, `${key}-fig`) : "",
    page.table ? blockHtml(page.table, `${key}-table`) : "",
    ...page.sentences.map((b, i) => blockHtml(b, `${key}-s${i + 1}`)),
  ];
  return `<div class="page">${parts.filter(Boolean).join("\n")}</div>`;
}

function sectionSlides(doc: NotebookDoc, section: Section): string {
  const pages = sectionPages(section);
  if (pages.length === 1) return `<section id="${escapeHtml(section.id)}">${pageHtml(doc, section, pages[0], `slide-${section.id}`, false)}</section>`;
  const stack = pages.map((p, i) => `<section${i === 0 ? ` id="${escapeHtml(section.id)}"` : ""}>${pageHtml(doc, section, p, `slide-${section.id}-p${i + 1}`, i > 0)}</section>`);
  return `<section>\n${stack.join("\n")}\n</section>`;
}

function titleSlide(title: string, headline: Headline, docs: readonly NotebookDoc[]): string {
  const count = docs.reduce((n, d) => n + d.sections.filter((s) => s.number !== null).length, 0);
  return `<section id="title"><div class="page title-page"><h1>${escapeHtml(title)}</h1>${headlineHtml(headline)}<p class="notebook">${docs.length} notebooks, ${count} sections.</p></div></section>`;
}

export interface SlidesOptions {
  title?: string;
}

/** The complete slides page. */
export function buildSlidesHtml(docs: readonly NotebookDoc[], headline: Headline, options: SlidesOptions = {}): string {
  const title = options.title ?? "Which Spotify plays do you finish?";
  const { js, css } = revealAssets();
  const slides = docs.flatMap((doc) => doc.sections.filter((s) => s.number !== null).map((s) => sectionSlides(doc, s)));
  const body = `<div class="reveal"><div class="slides">
${titleSlide(title, headline, docs)}
${slides.join("\n")}
</div></div>`;
  return htmlDocument({ title, styles: [css, STYLE], scripts: [js, INIT], body });
}
