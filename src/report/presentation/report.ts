/**
 * The report page: every executed notebook in order on one offline HTML page, code hidden,
 * with a table of contents, the prose, the computed sentences, the tables and the figures
 * (SVG inline). No script at all (the CSP forbids any). Same notebooks → byte-identical page.
 */
import { escapeHtml } from "../html";
import { blockHtml } from "./blocks";
import { headlineHtml, type Headline } from "./headline";
import type { Block, NotebookDoc } from "./ipynb";
import { BLOCK_CSS, htmlDocument } from "./page";

const STYLE = `
body { margin: 0; font-family: Helvetica, Arial, sans-serif; color: #1b1f24; background: #fff; line-height: 1.45; }
nav#toc { position: fixed; top: 0; left: 0; bottom: 0; width: 280px; overflow-y: auto; padding: 16px; box-sizing: border-box; background: #f5f6f8; border-right: 1px solid #e3e6ea; font-size: 13px; }
nav#toc ol { list-style: none; padding-left: 12px; margin: 4px 0; }
nav#toc > ol { padding-left: 0; }
nav#toc > ol > li { margin-top: 8px; font-weight: bold; }
nav#toc > ol > li li { font-weight: normal; }
nav#toc a { color: #1b1f24; text-decoration: none; }
nav#toc a:hover { text-decoration: underline; }
main { margin-left: 280px; padding: 16px 40px 64px; max-width: 1100px; }
header.report h1 { margin-bottom: 4px; }
ul.facts { padding-left: 18px; }
article { border-top: 2px solid #1b1f24; margin-top: 32px; padding-top: 4px; }
article > h1 { font-size: 26px; }
section > h2 { font-size: 20px; margin-top: 28px; }
@media (max-width: 900px) { nav#toc { position: static; width: auto; border-right: 0; } main { margin-left: 0; padding: 16px; } }
@media print { nav#toc { display: none; } main { margin-left: 0; } }
${BLOCK_CSS}`;

const blocksHtml = (blocks: readonly Block[], key: string) => blocks.map((b, i) => blockHtml(b, `${key}-b${i + 1}`)).join("\n");

function toc(docs: readonly NotebookDoc[]): string {
  const items = docs.map((doc) => {
    const sections = doc.sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`).join("");
    return `<li><a href="#${escapeHtml(doc.id)}">${escapeHtml(doc.title)}</a>${sections ? `<ol>${sections}</ol>` : ""}</li>`;
  });
  return `<nav id="toc" aria-label="Contents"><strong>Contents</strong><ol>${items.join("\n")}</ol></nav>`;
}


export interface ReportOptions {
  title?: string;
}

/** The complete report page. */
export function buildReportHtml(docs: readonly NotebookDoc[], headline: Headline, options: ReportOptions = {}): string {
  const title = options.title ?? "Spotify completion workspace: the notebooks";
  const articles = docs.map((doc) => {
    const sections = doc.sections.map((s) => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${blocksHtml(s.blocks, s.id)}\n</section>`);
    return `<article id="${escapeHtml(doc.id)}"><h1>${escapeHtml(doc.title)}</h1>\n${blocksHtml(doc.intro, `${doc.id}-intro`)}\n${sections.join("\n")}\n</article>`;
  });
  const body = `${toc(docs)}
<main>
<header class="report"><h1>${escapeHtml(title)}</h1>${headlineHtml(headline)}</header>
${articles.join("\n")}
</main>`;
  return htmlDocument({ title, styles: [STYLE], body });
}
