export * from "./types";
export { chronologicalSplit, rollingOriginSplits, type ChronologicalSplitOptions, type RollingOriginOptions } from "./split";
export { FeatureBuilder, LEAKY_COLUMNS, type FeatureBuilderOptions, type TransformOptions, type FittedState, type Layout } from "./builder";
export { describeFeatures, featureGroups, groupOf, type FeatureSummaryRow } from "./describe";
export { probeBasis, representativeRows, type ProbeBasis, type ProbeCandidate, type ProbeOptions, type ProbeRows, type RepresentativeContext } from "./probe";
export { COUNTRY_ZONES, resolveTimeZone, OffsetCache } from "./time";
