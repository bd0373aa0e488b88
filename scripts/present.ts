/**
 * Rebuilds the presentation (`<OUTPUT_DIR>/presentation/report.html` and `slides.html`) from
 * the executed notebooks already in `<OUTPUT_DIR>/notebooks/` (written by `npm start`).
 *
 *   tsx scripts/present.ts [--output-dir DIR]        (npm run present)
 * Environment: OUTPUT_DIR (default outputs/).
 */
import * as path from "path";
import { isUserInputError } from "../src/common/errors";
import { writePresentation } from "../src/report/presentation";

/** Writes both pages and prints where; a missing or unreadable input is one paragraph, exit 1. */
export function present(outputDir: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): boolean {
  try {
    const files = writePresentation(outputDir);
    log(`presentation of ${files.notebooks.length} notebooks: ${files.report} and ${files.slides}`);
    return true;
  } catch (error) {
    if (!isUserInputError(error)) throw error;
    log(error.message);
    return false;
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--output-dir");
  const outputDir = path.resolve(process.cwd(), at >= 0 && args[at + 1] ? args[at + 1] : process.env.OUTPUT_DIR ?? "outputs");
  process.exit(present(outputDir) ? 0 : 1);
}
