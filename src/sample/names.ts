/** Planted personal data and hostile strings: distinctive so leak tests can grep for them. */

/** Every personal value the generator writes (when `pii` is on). Outputs must never contain any of them. */
export const PLANTED_PII = {
  ipv4: "203.0.113.77",
  ipv6: "2001:db8::77",
  username: "pii-user-7731",
  email: "pii.listener.7731@example.com",
  userAgent: "PII-Agent/7.7.31",
  displayName: "PiiDisplay7731",
  firstName: "Piifirst",
  lastName: "Piilast7731",
  birthdate: "1987-07-31",
} as const;

export type PlantedPii = typeof PLANTED_PII;

/** Strings that break naive HTML, CSV/spreadsheet, Markdown-table and line-based output. */
export const HOSTILE_NAMES = {
  script: "<script>alert(1)</script>",
  hyperlink: '=HYPERLINK("http://x","y")',
  plusCmd: "+cmd",
  minusFormula: "-1+2",
  atSum: "@SUM(1)",
  quotesCommas: 'Say "Hello", World, Again',
  newline: "Line one\nLine two",
  emoji: "Fire 🔥 Dance 💃🏽 Night 🎧",
  arabic: "أغنية الليل الطويل",
  hebrew: "שיר של לילה",
  pipes: "Pipe | Table | Breaker",
  tabBackslash: "Tab\there \\ back\\slash",
} as const;

export const HOSTILE_LIST: readonly string[] = Object.values(HOSTILE_NAMES);

// Word lists for ordinary names (deterministic picks from the seeded PRNG).
export const ADJECTIVES = [
  "Velvet", "Silent", "Golden", "Electric", "Paper", "Neon", "Hollow", "Crimson", "Quiet", "Wild",
  "Lunar", "Amber", "Broken", "Blue", "Frozen", "Distant", "Gentle", "Radiant", "Rusty", "Secret",
  "Tender", "Vivid", "Wandering", "Young", "Static", "Northern", "Faded", "Bright", "Midnight", "Glass",
];
export const NOUNS = [
  "Harbor", "Signal", "Garden", "River", "Engine", "Mirror", "Lantern", "Orchard", "Valley", "Echo",
  "Satellite", "Window", "Forest", "Avenue", "Tide", "Horizon", "Station", "Meadow", "Circuit", "Ocean",
  "Letter", "Shadow", "Compass", "Feather", "Canyon", "Island", "Parade", "Comet", "Bridge", "Summer",
];
export const FIRST_NAMES = [
  "Nora", "Jonas", "Mila", "Elias", "Lea", "Finn", "Ida", "Theo", "Clara", "Mats",
  "Ava", "Leon", "Maya", "Emil", "Lina", "Oskar", "Zoe", "Paul", "Greta", "Anton",
];
export const SURNAMES = [
  "Vale", "Kessler", "Moreau", "Lind", "Okafor", "Brandt", "Sato", "Rivera", "Novak", "Holm",
  "Adler", "Costa", "Meyer", "Quinn", "Sorensen", "Fischer", "Ibsen", "Marin", "Weber", "Young",
];
export const SHOW_NAMES = [
  "The Daily Signal",
  "Deep Dive Science",
  "Kaffee & Code",
  'Talk, "Unscripted"',
  "History Hour",
  "بودكاست المساء",
];
export const AUDIOBOOKS = ["The Glass Orchard", "A Short History of Tides", "Kessler's Garden"];
export const LOCAL_TRACKS: ReadonlyArray<[string, string, string]> = [
  ["Demo Take 3", "Home Recordings", "Garage Tapes"],
  ["Bootleg - Live at Home", "Home Recordings", "Garage Tapes"],
  ['Rehearsal, "Take 2"', "The Basement Band", "Unreleased"],
  ["voice memo 0412", "Unknown Artist", "Unknown Album"],
  ["Mixtape Side A", "DJ Kitchen", "Mixtapes | Vol. 1"],
  ["Wedding Song (final).mp3", "Cousin Theo", "Family"],
];
