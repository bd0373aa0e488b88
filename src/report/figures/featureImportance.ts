import { COLORS, frame, VlSpec, WIDTH } from "./common";
import type { FeatureRow } from "./types";

export const FILE = "feature_importance.svg";
export const TITLE = "Feature importance (standardised coefficients)";

/** Signed standardised coefficients, top features by |coefficient|. */
export function featureImportanceSpec(rows: FeatureRow[]): VlSpec {
  const values = rows.map((r, i) => ({ ...r, rank: i + 1 }));
  return {
    ...frame(TITLE, `top ${rows.length} by |coefficient| · positive raises predicted completion`),
    width: WIDTH - 200,
    height: { step: 20 },
    data: { values },
    mark: { type: "bar" },
    encoding: {
      y: { field: "feature", type: "nominal", title: null, sort: { field: "rank", order: "ascending" } },
      x: { field: "coefficient", type: "quantitative", title: "Standardised coefficient" },
      color: {
        field: "direction",
        type: "nominal",
        title: "Effect",
        scale: { domain: ["raises completion", "lowers completion"], range: [COLORS.completed, COLORS.skipped] },
      },
    },
  };
}
