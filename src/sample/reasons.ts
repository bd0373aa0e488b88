/** How plays start and end: reason_start of a session's first play, reason_end of skips, and chaining. */
import { Rand } from "./rand";

export const FIRST_REASON: ReadonlyArray<readonly [string, number]> = [
  ["clickrow", 0.35], ["playbtn", 0.25], ["appload", 0.2], ["remote", 0.08], ["trackdone", 0.06], ["fwdbtn", 0.04], ["unknown", 0.02],
];
export const END_MID: ReadonlyArray<readonly [string, number]> = [
  ["fwdbtn", 0.74], ["backbtn", 0.09], ["endplay", 0.06], ["trackerror", 0.03], ["remote", 0.03], ["unexpected-exit", 0.03], ["unexpected-exit-while-paused", 0.02],
];
export const END_LAST: ReadonlyArray<readonly [string, number]> = [
  ["endplay", 0.5], ["fwdbtn", 0.2], ["logout", 0.08], ["unexpected-exit", 0.12], ["unexpected-exit-while-paused", 0.1],
];
/** The next play's reason_start follows how the previous one ended. */
export function followReason(rng: Rand, prevEnd: string): string {
  switch (prevEnd) {
    case "trackdone":
    case "fwdbtn":
    case "backbtn":
    case "trackerror":
    case "remote":
      return prevEnd;
    case "endplay":
      return rng.chance(0.5) ? "clickrow" : "playbtn";
    default:
      return "appload";
  }
}

