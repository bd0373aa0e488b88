/**
 * Stage progress on stderr for the CLI: a cli-progress bar over the run's stages when
 * stderr is a terminal, one line per finished stage otherwise (logs, CI).
 */
import { SingleBar, Presets } from "cli-progress";
import type { Progress } from "../pipeline/progress";

export function stderrProgress(stages: string[]): Progress & { stop(): void } {
  const started = new Map<string, number>();
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: "{bar} {percentage}% | {stage}", stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets.shades_classic)
    : null;
  let finished = 0;
  bar?.start(stages.length, 0, { stage: stages[0] ?? "" });
  const line = (text: string) => {
    if (bar) {
      bar.stop();
      process.stderr.write(text + "\n");
      bar.start(stages.length, finished, { stage: text });
    } else {
      process.stderr.write(text + "\n");
    }
  };
  return {
    start(stage) {
      started.set(stage, Date.now());
      bar?.update(finished, { stage });
    },
    update(stage, fraction) {
      bar?.update(finished + Math.max(0, Math.min(1, fraction)), { stage });
    },
    done(stage, summary) {
      finished++;
      const seconds = ((Date.now() - (started.get(stage) ?? Date.now())) / 1000).toFixed(1);
      line(`[${finished}/${stages.length}] ${stage}: ${summary ?? "done"} (${seconds} s)`);
    },
    stop() {
      bar?.stop();
    },
  };
}
