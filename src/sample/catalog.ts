/** The synthetic catalogue: artists (with latent taste), albums, tracks, shows, audiobooks, videos. */
import { ADJECTIVES, AUDIOBOOKS, FIRST_NAMES, HOSTILE_LIST, HOSTILE_NAMES, NOUNS, SHOW_NAMES, SURNAMES } from "./names";
import { Rand, cumulative } from "./rand";
import { ARTIST_DRIFT_SD_PER_YEAR, TASTE_SD, TRACK_DRIFT_SD_PER_YEAR, TRACK_SD } from "./signal";
import { MINUTE_MS } from "./time";

/** JSON string literal (or null) for hand-rendered records. */
export const q = (s: string | null): string => JSON.stringify(s);

export interface Track {
  name: string;
  artist: number;
  album: number;
  uri: string;
  durationMs: number;
  inLibrary: boolean;
  /** Pre-rendered JSON of the four master_metadata fields + uri (they never change). */
  json: string;
}
export interface Album {
  name: string;
  artist: number;
  uri: string;
}
export interface Artist {
  name: string;
  uri: string;
  taste: number;
  tracks: number[];
}
export interface Catalog {
  artists: Artist[];
  albums: Album[];
  tracks: Track[];
  banned: Track[];
  artistCum: number[];
  shows: { name: string; uri: string; episodes: { name: string; uri: string; durationMs: number }[] }[];
  audiobooks: { title: string; uri: string; chapters: { title: string; uri: string; durationMs: number }[] }[];
  videos: { show: string; name: string; uri: string; durationMs: number }[];
}

export const FIELD = "\n        ";

export function trackJson(name: string | null, artist: string | null, album: string | null, uri: string | null): string {
  return (
    FIELD + '"master_metadata_track_name": ' + q(name) + "," +
    FIELD + '"master_metadata_album_artist_name": ' + q(artist) + "," +
    FIELD + '"master_metadata_album_album_name": ' + q(album) + "," +
    FIELD + '"spotify_track_uri": ' + q(uri) + ","
  );
}
export const NULL_TRACK_JSON = trackJson(null, null, null, null);

export function buildCatalog(rng: Rand, musicPlays: number): Catalog {
  const nArtists = Math.max(60, Math.min(150, Math.round(40 + Math.sqrt(musicPlays))));
  const usedArtistNames = new Set<string>();
  const hostileArtist: Record<number, string> = {
    1: HOSTILE_NAMES.script,
    3: HOSTILE_NAMES.emoji,
    4: HOSTILE_NAMES.hyperlink,
    5: HOSTILE_NAMES.arabic,
    7: HOSTILE_NAMES.plusCmd,
    8: HOSTILE_NAMES.hebrew,
    10: HOSTILE_NAMES.quotesCommas,
    12: HOSTILE_NAMES.pipes,
    15: HOSTILE_NAMES.minusFormula,
    18: HOSTILE_NAMES.atSum,
  };
  const hostileAlbum: Record<number, string> = {
    0: 'Album, With "Quotes" | Vol. 1',
    2: "<b>Bold</b> & <i>Loud</i>",
    6: "Side A\nSide B",
  };
  // Artist 0 (the most played) carries one track with each hostile name, all in the library.
  const hostileTracks = HOSTILE_LIST;
  const artists: Artist[] = [];
  const albums: Album[] = [];
  const tracks: Track[] = [];
  for (let a = 0; a < nArtists; a++) {
    let name = hostileArtist[a];
    while (!name || usedArtistNames.has(name)) {
      name = rng.chance(0.5)
        ? `The ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}s`
        : `${rng.pick(FIRST_NAMES)} ${rng.pick(SURNAMES)}`;
      if (usedArtistNames.has(name)) name = `${name} ${rng.int(2, 99)}`;
    }
    usedArtistNames.add(name);
    const artist: Artist = { name, uri: "spotify:artist:" + rng.base62(22), taste: rng.normal() * TASTE_SD, tracks: [] };
    artists.push(artist);
    const nAlbums = rng.int(1, 3);
    const firstAlbum = albums.length;
    for (let b = 0; b < nAlbums; b++) {
      const albumName = b === 0 && hostileAlbum[a] ? hostileAlbum[a] : `${rng.pick(NOUNS)} of ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}s`;
      albums.push({ name: albumName, artist: a, uri: "spotify:album:" + rng.base62(22) });
    }
    const nTracks = rng.int(3, 8) + (a < 10 ? 10 : a < 30 ? 4 : 0);
    const usedTrackNames = new Set<string>();
    for (let k = 0; k < nTracks; k++) {
      const hostile = a === 0 && k < hostileTracks.length ? hostileTracks[k] : null;
      let tname = hostile ?? `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
      if (!hostile && rng.chance(0.08)) tname += rng.chance(0.5) ? " - Remastered 2011" : " (Live)";
      while (usedTrackNames.has(tname)) tname += " II";
      usedTrackNames.add(tname);
      const album = firstAlbum + (k % nAlbums);
      const uri = "spotify:track:" + rng.base62(22);
      const t: Track = {
        name: tname,
        artist: a,
        album,
        uri,
        durationMs: rng.int(120_000, 360_000),
        inLibrary: hostile !== null || rng.chance(0.35),
        json: trackJson(tname, name, albums[album].name, uri),
      };
      artist.tracks.push(tracks.length);
      tracks.push(t);
    }
  }
  // Banned tracks are never played (the listener banned them).
  const banned: Track[] = [];
  for (let i = 0; i < 4; i++) {
    const a = rng.int(0, nArtists - 1);
    const tname = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} (Banned Mix ${i + 1})`;
    const album = albums.findIndex((al) => al.artist === a);
    const uri = "spotify:track:" + rng.base62(22);
    banned.push({ name: tname, artist: a, album, uri, durationMs: 200_000, inLibrary: false, json: "" });
  }
  // Zipf popularity (s = 1).
  const artistCum = cumulative(artists.map((_, i) => 1 / (i + 1)));
  const shows = SHOW_NAMES.map((name) => ({
    name,
    uri: "spotify:show:" + rng.base62(22),
    episodes: Array.from({ length: 30 }, (_, k) => ({
      name: `${name} #${k + 1}: ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
      uri: "spotify:episode:" + rng.base62(22),
      durationMs: rng.int(12, 75) * MINUTE_MS + rng.int(0, 59_999),
    })),
  }));
  const audiobooks = AUDIOBOOKS.map((title) => ({
    title,
    uri: "spotify:show:" + rng.base62(22),
    chapters: Array.from({ length: 20 }, (_, k) => ({
      title: `Chapter ${k + 1}`,
      uri: "spotify:episode:" + rng.base62(22),
      durationMs: rng.int(8, 40) * MINUTE_MS + rng.int(0, 59_999),
    })),
  }));
  const videos = Array.from({ length: 12 }, (_, k) => ({
    show: k % 2 ? "Studio Sessions (Video)" : "Kaffee & Code (Video)",
    name: `Video episode ${k + 1}: ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
    uri: "spotify:episode:" + rng.base62(22),
    durationMs: rng.int(5, 40) * MINUTE_MS,
  }));
  return { artists, albums, tracks, banned, artistCum, shows, audiobooks, videos };
}

/** The catalogue's drifting random effects (./signal.ts): [artists] slopes, [tracks] levels and slopes. */
export interface Drift {
  artistSlope: Float64Array;
  trackLevel: Float64Array;
  trackSlope: Float64Array;
}

/** Drawn from their own stream, so the catalogue's names and tastes do not move when these change. */
export function drawDrift(rng: Rand, catalog: Catalog): Drift {
  const artistSlope = Float64Array.from(catalog.artists, () => rng.normal() * ARTIST_DRIFT_SD_PER_YEAR);
  const trackLevel = new Float64Array(catalog.tracks.length);
  const trackSlope = new Float64Array(catalog.tracks.length);
  for (let i = 0; i < catalog.tracks.length; i++) {
    trackLevel[i] = rng.normal() * TRACK_SD;
    trackSlope[i] = rng.normal() * TRACK_DRIFT_SD_PER_YEAR;
  }
  return { artistSlope, trackLevel, trackSlope };
}
