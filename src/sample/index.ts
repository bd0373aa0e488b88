export { generateExport, resolveOptions, SAMPLE_DEFAULTS, CHANGES, TECH_TYPES, FOLDER_ACCOUNT, FOLDER_EXTENDED, FOLDER_TECH } from "./generate";
export type { GenerateOptions, SampleManifest, ManifestFile, RowKind, TechNaming, TechType } from "./generate";
export { PLANTED_PII, HOSTILE_NAMES, HOSTILE_LIST } from "./names";
export type { PlantedPii } from "./names";
export { renderSampleReadme } from "./readme";
export { writeSample } from "./write-sample";
export * as signal from "./signal";
export { TRUTH_FILE, readTruth, truthMetrics, expectedAuc, pairedAucGapSe } from "./truth";
export type { TruthMetrics, ModelTruth, TruthJoinInput } from "./truth";
