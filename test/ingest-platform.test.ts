import { test } from "node:test";
import assert from "node:assert/strict";
import { platformFamily, PLATFORM_FAMILIES } from "../src/ingest/platform";

const CASES: Array<[string | null, string]> = [
  // detailed strings (before 2023-10-19)
  ["Android OS 11 API 30 (samsung, SM-G991B)", "android"],
  ["Android OS 6.0.1 API 23 (LGE, LG-H815)", "android"],
  ["iOS 14.6 (iPhone13,3)", "ios"],
  ["iOS 12.1.4 (iPad6,11)", "ios"],
  ["Windows 10 (10.0.19041; x64)", "windows"],
  ["Windows 7 (6.1.7601; x64; SP1; S)", "windows"],
  ["OS X 10.13.3 [x86 8]", "macos"],
  ["OS X 12.1.0 [arm 2]", "macos"],
  ["web_player windows 10;chrome 96.0.4664.45;desktop", "web"],
  ["web_player osx 10.15.7;safari 15.1;desktop", "web"],
  ["web_player linux ;firefox 95.0;desktop", "web"],
  ["Partner google cast_audio Google;Chromecast_Audio", "cast"],
  ["Partner sonos_ceres Sonos;Play:1", "cast"],
  ["Partner android_tv Sony;BRAVIA 4K", "cast"],
  ["Partner sony_playstation4 Sony;PS4", "console"],
  ["Linux [x86-64 0]", "linux"],
  // coarse strings (after 2023-10-19)
  ["android", "android"],
  ["ios", "ios"],
  ["windows", "windows"],
  ["linux", "linux"],
  ["osx", "macos"],
  ["playstation", "console"],
  ["not_applicable", "unknown"],
  // edge cases
  [null, "unknown"],
  ["", "unknown"],
  ["  ANDROID  ", "android"],
  ["some_new_fridge_os 1.0", "other"],
];

test("platformFamily maps detailed and coarse platform strings", () => {
  for (const [raw, expected] of CASES) {
    assert.equal(platformFamily(raw), expected, `platform ${JSON.stringify(raw)}`);
  }
});

test("platformFamily only returns the documented families", () => {
  for (const [raw] of CASES) assert.ok((PLATFORM_FAMILIES as readonly string[]).includes(platformFamily(raw)));
});
