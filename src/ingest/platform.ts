/**
 * Platform family normalisation.
 *
 * Spotify exported detailed device strings before 2023-10-19
 * (`Android OS 11 API 30 (samsung, SM-G991B)`, `web_player windows 10;chrome ...`)
 * and coarse ones after (`android`, `windows`, `not_applicable`). Both map onto one
 * small vocabulary so a feature does not shift meaning at the format change.
 */

export const PLATFORM_FAMILIES = [
  "android",
  "ios",
  "windows",
  "macos",
  "linux",
  "web",
  "cast",
  "console",
  "other",
  "unknown",
] as const;

export type PlatformFamily = (typeof PLATFORM_FAMILIES)[number];

/**
 * Ordered rules: the first match wins. Order matters because detailed strings mention
 * several systems (a web player on Windows is "web"; a partner Android TV is "cast").
 */
const RULES: ReadonlyArray<readonly [RegExp, PlatformFamily]> = [
  [/^(not_applicable|unknown|n\/a|none)$/, "unknown"],
  [/playstation|\bps[345]\b|xbox|nintendo|switch_console/, "console"],
  [/^web_?player|^web[ _]|^webplayer|web player/, "web"],
  [/^partner\b|cast_audio|cast_video|chromecast|google[ _]cast|\bcast\b|sonos|alexa|amazon_echo|smart_?tv|tizen|webos|^car[ _]|android_?auto|carplay/, "cast"],
  [/^android|\bandroid os\b/, "android"],
  [/^ios\b|^ios$|iphone|ipad|ipod/, "ios"],
  [/^windows|^win32|^win64|^win\b|windows_store|uwp/, "windows"],
  [/^os x|^osx|^mac ?os|^macintosh|^darwin/, "macos"],
  [/^linux|ubuntu|debian|fedora/, "linux"],
];

/** Family of one exported platform string (null/empty → "unknown", unrecognised → "other"). */
export function platformFamily(raw: string | null | undefined): PlatformFamily {
  if (raw == null) return "unknown";
  const s = raw.trim().toLowerCase();
  if (s === "") return "unknown";
  for (const [pattern, family] of RULES) {
    if (pattern.test(s)) return family;
  }
  return "other";
}
