import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, jsonForScript } from "../src/report/html";
import { mdEscape, mdTable } from "../src/report/markdown";

test("mdEscape neutralises table-breaking and markup characters", () => {
  assert.equal(mdEscape("a|b"), "a\\|b");
  assert.equal(mdEscape("x\ny\r\nz"), "x y z");
  assert.equal(mdEscape("`code`"), "\\`code\\`");
  assert.equal(mdEscape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  assert.equal(mdEscape("*bold* _it_ [link](u)"), "\\*bold\\* \\_it\\_ \\[link\\](u)");
  assert.equal(mdEscape("a\\|b"), "a\\\\\\|b");
  assert.equal(mdEscape("AT&T"), "AT&amp;T");
  assert.equal(mdEscape(null), "");
  assert.equal(mdEscape(3.5), "3.5");
});

test("mdTable: one row per input row, every cell escaped, pipes never split a row", () => {
  const table = mdTable(
    ["artist", { key: "rate", header: "Rate", align: "right" }],
    [{ artist: "a|b\nc", rate: 0.123456 }, { artist: "<b>x</b>", rate: null }],
  );
  const lines = table.trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.equal(lines[0], "| artist | Rate |");
  assert.equal(lines[1], "| --- | ---: |");
  assert.equal(lines[2], "| a\\|b c | 0.1235 |");
  assert.equal(lines[3], "| &lt;b&gt;x&lt;/b&gt; |  |");
  // Unescaped pipes (column separators) per row: exactly 3 for 2 columns.
  for (const line of lines) assert.equal(line.replace(/\\\|/g, "").split("|").length - 1, 3);
});

test("escapeHtml and jsonForScript", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  const value = { name: "</script><script>alert(1)</script>", sep: "\u2028\u2029", amp: "&" };
  const json = jsonForScript(value);
  assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(json), value);
});
