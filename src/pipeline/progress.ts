/**
 * Stage progress for long runs. The CLI prints to stderr (with a bar for stages that
 * report fractions); notebooks and tests stay silent.
 */
export interface Progress {
  start(stage: string): void;
  /** Fraction in [0, 1] of a long stage. */
  update(stage: string, fraction: number): void;
  done(stage: string, summary?: string): void;
}

export const silentProgress: Progress = { start() {}, update() {}, done() {} };
