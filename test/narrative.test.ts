/**
 * The notebooks' computed sentences (src/pipeline/narrative.ts) and the DataFrame rows of
 * "ask your own question" (src/pipeline/explore.ts): numbers from the data, nothing canned.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepare } from "../src/pipeline/prepare";
import { playRows } from "../src/pipeline/explore";
import { coverageSentence, leakAgreement, leakageSentence, pooledRate, rowsAccountedSentence, sessionSentence } from "../src/pipeline/narrative";

const prepared = prepare({ export: path.join(__dirname, "..", "data-sample") }, DEFAULT_PARAMS);
const report = prepared.ingest.report;

test("ingest sentences add up the report's own counts", () => {
  const dropped = Object.values(report.dropped).reduce((s, n) => s + n, 0);
  assert.match(rowsAccountedSentence(report), new RegExp(`^${report.rowsRead} play records were read; ${report.rowsKept} music plays kept and ${dropped} dropped \\(all rows accounted for\\)`));
  assert.match(rowsAccountedSentence({ ...report, rowsRead: report.rowsRead + 1 }), /COUNTS DO NOT ADD UP/);
  assert.ok(coverageSentence(report).startsWith(`${(100 * report.labelCoverage.labelled / report.rowsKept).toFixed(1)}% of music plays carry a label`));
});

test("the leak check counts agreement row by row, from the leak column alone", () => {
  const leaky = prepared.leaky();
  const col = leaky.names.indexOf("leak_reason_end_trackdone");
  const trackdone = prepared.leakyPieces().column("leak_reason_end_trackdone")!;
  assert.deepEqual(Array.from(trackdone), Array.from({ length: leaky.rows }, (_, r) => leaky.X[r * leaky.cols + col]), "the whole leaky matrix's column");
  assert.equal(prepared.leakyPieces().column("not_a_leak_column"), null);
  assert.equal(leakAgreement(trackdone, prepared.features.y), 1, "leak_reason_end_trackdone is the label itself");
  assert.match(leakageSentence(prepared.features, prepared.leakyPieces()), /features using the play's own outcome: none\. .* equals the label on 100\.0% of rows/);
  // with the column broken on one row, the share drops by exactly one row
  const broken = trackdone.slice();
  broken[0] = 1 - broken[0];
  assert.equal(leakAgreement(broken, prepared.features.y), (leaky.rows - 1) / leaky.rows);
});

test("session rates pool completions over labelled plays, and say n/a without any", () => {
  const rows = [
    { key: 1, labelled: 10, completed: 9, completion_rate: 0.9 },
    { key: 2, labelled: 30, completed: 15, completion_rate: 0.5 },
    { key: 16, labelled: 4, completed: 1, completion_rate: 0.25 },
  ];
  assert.equal(pooledRate(rows.slice(0, 2)), 24 / 40);
  assert.equal(sessionSentence(rows), "Plays 1–5 of a session finish 60% of the time, plays 15 and later 25% of the time.");
  assert.equal(sessionSentence(rows.slice(0, 2)), "Plays 1–5 of a session finish 60% of the time, plays 15 and later n/a (no labelled plays).");
});

test("playRows: every play in start order, or a seeded subsample that says so", () => {
  const plays = prepared.ingest.plays;
  const all = playRows(plays);
  assert.equal(all.rows.length, plays.length);
  assert.equal(all.sampled, false);
  assert.equal(all.rows.filter((r) => r.labelled === 1).length, report.labelCoverage.labelled);
  const sub = playRows(plays, { maxRows: 500, seed: 3 });
  assert.equal(sub.rows.length, 500);
  assert.equal(sub.sampled, true);
  assert.deepEqual(playRows(plays, { maxRows: 500, seed: 3 }).rows, sub.rows, "same seed, same rows");
  assert.notDeepEqual(playRows(plays, { maxRows: 500, seed: 4 }).rows, sub.rows);
  for (let i = 1; i < sub.rows.length; i++) assert.ok(sub.rows[i - 1].start_utc <= sub.rows[i].start_utc, "start order kept");
});
