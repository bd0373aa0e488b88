/**
 * Loaded with `--import` by `npm test` in every test process: gives the process its own
 * temporary root (TMPDIR) and removes it when the process exits, so the exports, output
 * folders and caches that tests create under `os.tmpdir()` do not pile up run after run
 * (they did: ≈ 300 MB a run). Children (the CLI, notebook kernels) inherit TMPDIR.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "spotify-tests-"));
process.env.TMPDIR = root;
// os.tmpdir() reads TMPDIR on every call, so modules loaded later use the new root.
process.on("exit", () => {
  try {
    fs.rmSync(root, { recursive: true, force: true });
  } catch {
    // A file still open elsewhere: the OS's own tmp cleaning takes it later.
  }
});
