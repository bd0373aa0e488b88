import { frame, VlSpec } from "./common";
import type { ComparisonRow } from "./types";

export const FILE = "model_comparison.svg";
export const TITLE = "Model comparison (test AUC and log loss)";

/** One bar panel per metric (independent x scales): higher AUC and lower log loss are better. */
export function modelComparisonSpec(rows: ComparisonRow[]): VlSpec {
  const values = rows.map((r) => ({ ...r, label: r.value.toFixed(3) }));
  return {
    ...frame(TITLE, "AUC: higher is better · log loss: lower is better"),
    data: { values },
    facet: { column: { field: "metric", type: "nominal", title: null, sort: ["AUC", "log loss"] } },
    spec: {
      width: 280,
      height: { step: 24 },
      layer: [
        {
          mark: { type: "bar", color: "#4C78A8" },
          encoding: {
            y: { field: "model", type: "nominal", title: null, sort: null },
            x: { field: "value", type: "quantitative", title: null },
          },
        },
        {
          mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
          encoding: {
            y: { field: "model", type: "nominal", sort: null },
            x: { field: "value", type: "quantitative" },
            text: { field: "label" },
          },
        },
      ],
    },
    resolve: { scale: { x: "independent" } },
  };
}
