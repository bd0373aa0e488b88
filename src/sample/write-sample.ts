/** Writes a complete sample folder: the export packages plus MANIFEST.json, README.md and .gitignore. */
import * as fs from "fs";
import * as path from "path";
import { generateExport } from "./generate";
import { SampleManifest } from "./manifest";
import { GenerateOptions } from "./options";
import { renderSampleReadme } from "./readme";

/** The repo's .gitignore excludes the package folder names everywhere (real exports); re-include them here. */
export const SAMPLE_GITIGNORE =
  "# Synthetic export (no personal data): re-include the package folders the root .gitignore excludes.\n" +
  "!Spotify Account Data/\n!Spotify Extended Streaming History/\n!Spotify Technical Log Information/\n";

export function writeSample(options: GenerateOptions): SampleManifest {
  const dir = options.outDir;
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    // Only wipe what this function wrote before: never a folder that might hold a real export.
    if (entries.length && !entries.includes("MANIFEST.json")) {
      throw new Error(`refusing to wipe ${dir}: it is not empty and has no MANIFEST.json`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const manifest = generateExport(options);
  fs.writeFileSync(path.join(dir, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "README.md"), renderSampleReadme(manifest));
  fs.writeFileSync(path.join(dir, ".gitignore"), SAMPLE_GITIGNORE);
  return manifest;
}
