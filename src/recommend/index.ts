export { buildResumePlaylist, type PredictFn, type ResumePlaylist, type ResumePlaylistOptions, type ResumePlaylistRow } from "./playlist";
export { recommendationHitRate, popularityList, type HitRateResult, type ListScore } from "./hitRate";
