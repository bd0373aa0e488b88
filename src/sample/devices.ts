/** The listener's devices: platform strings (detailed, then coarse), usage weights, tech-log envelope. */
import { COARSE_FROM } from "./options";
import { Rand, cumulative } from "./rand";
import { DAY_MS } from "./time";

export interface Device {
  id: string;
  /** Detailed platform string before 2023-10-19 (may depend on the date: OS upgrades). */
  detailed: (ms: number) => string;
  coarse: string;
  weightBefore: number;
  weightAfter: number;
  env: { manufacturer: string; model: string; type: string; os: string; osVersion: (ms: number) => string };
}

export const Y2023 = Date.UTC(2023, 0, 1);
export const DEVICES: Device[] = [
  {
    id: "phone",
    detailed: (ms) => (ms < Y2023 ? "Android OS 12 API 31 (samsung, SM-G991B)" : "Android OS 13 API 33 (samsung, SM-G991B)"),
    coarse: "android",
    weightBefore: 0.52,
    weightAfter: 0.52,
    env: { manufacturer: "samsung", model: "SM-G991B", type: "smartphone", os: "android", osVersion: (ms) => (ms < Y2023 ? "12" : ms < COARSE_FROM + 200 * DAY_MS ? "13" : "14") },
  },
  {
    id: "desktop",
    detailed: () => "Windows 10 (10.0.19045; x64)",
    coarse: "windows",
    weightBefore: 0.18,
    weightAfter: 0.2,
    env: { manufacturer: "Microsoft", model: "PC x64", type: "computer", os: "windows", osVersion: () => "10.0.19045" },
  },
  {
    id: "web",
    detailed: () => "web_player windows 10;chrome 96.0.4664.110;desktop",
    coarse: "windows",
    weightBefore: 0.07,
    weightAfter: 0.06,
    env: { manufacturer: "Google", model: "Chrome", type: "computer", os: "windows", osVersion: () => "10" },
  },
  {
    id: "cast",
    detailed: () => "Partner google cast_audio Google;Chromecast_Audio",
    coarse: "not_applicable",
    weightBefore: 0.06,
    weightAfter: 0.06,
    env: { manufacturer: "Google", model: "Chromecast Audio", type: "speaker", os: "cast", osVersion: () => "1.56" },
  },
  {
    id: "linux",
    detailed: () => "Linux [x86-64 0]",
    coarse: "linux",
    weightBefore: 0.05,
    weightAfter: 0.05,
    env: { manufacturer: "unknown", model: "PC x86-64", type: "computer", os: "linux", osVersion: () => "6.1" },
  },
  {
    id: "ipad",
    detailed: () => "iOS 15.1 (iPad13,1)",
    coarse: "ios",
    weightBefore: 0.06,
    weightAfter: 0.05,
    env: { manufacturer: "Apple", model: "iPad13,1", type: "tablet", os: "ios", osVersion: () => "15.1" },
  },
  {
    id: "mac",
    detailed: () => "OS X 10.13.3 [x86 8]",
    coarse: "osx",
    weightBefore: 0.06,
    weightAfter: 0,
    env: { manufacturer: "Apple", model: "MacBookPro14,1", type: "computer", os: "osx", osVersion: () => "10.13.3" },
  },
  {
    id: "playstation",
    detailed: () => "playstation",
    coarse: "playstation",
    weightBefore: 0,
    weightAfter: 0.06,
    env: { manufacturer: "Sony", model: "PS5", type: "game_console", os: "playstation", osVersion: () => "7.0" },
  },
];
export const DEVICE_CUM_BEFORE = cumulative(DEVICES.map((d) => d.weightBefore));
export const DEVICE_CUM_AFTER = cumulative(DEVICES.map((d) => d.weightAfter));

/** What stays fixed for one listening session: the device, its platform string and connection. */
export interface SessionCtx {
  device: number;
  platform: string;
  ipJson: string;
  offline: boolean;
  incognito: boolean;
}

/** IP values as JSON literals (`null` when the sample is written without personal data). */
export interface IpJson {
  ipv4: string;
  ipv6: string;
}

/** Draws a session's device (usage weights change when platform strings turn coarse). */
export function newSessionCtx(rng: Rand, t: number, ip: IpJson): SessionCtx {
  const device = rng.weighted(t < COARSE_FROM ? DEVICE_CUM_BEFORE : DEVICE_CUM_AFTER);
  const d = DEVICES[device];
  return {
    device,
    platform: t < COARSE_FROM ? d.detailed(t) : d.coarse,
    ipJson: d.id === "phone" && rng.chance(0.5) ? ip.ipv6 : ip.ipv4,
    offline: d.id === "phone" && rng.chance(0.1),
    incognito: rng.chance(0.015),
  };
}
