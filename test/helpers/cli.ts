/** Runs the pipeline CLI in-process, capturing stdout/stderr, and checks its user-facing failures. */
import assert from "node:assert/strict";
import { main as cliMain } from "../../src/cli/pipeline";

export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  // The CLI writes text. Under `node --test` the file's own reporter writes serialised bytes to the
  // same stdout, possibly while an async CLI run is captured: pass those through, or the runner loses
  // the results of this and neighbouring tests (and fails the file).
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === "string" ? (out.push(chunk), true) : (ow as (...a: unknown[]) => boolean)(chunk, ...rest));
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === "string" ? (err.push(chunk), true) : (ew as (...a: unknown[]) => boolean)(chunk, ...rest));
  try {
    const code = await cliMain(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

/** Exit 1, exactly one "error: " line matching every pattern, no stack trace, no "internal error". Returns that line. */
export function assertCliUserError(r: { code: number; stderr: string }, ...patterns: RegExp[]): string {
  assert.equal(r.code, 1, `exit code 1, got ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack-trace lines");
  assert.doesNotMatch(r.stderr, /internal error/);
  const errorLines = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assert.equal(errorLines.length, 1, r.stderr);
  for (const p of patterns) assert.match(errorLines[0], p);
  return errorLines[0];
}
