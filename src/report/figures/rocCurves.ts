import { frame, HEIGHT, VlSpec } from "./common";
import type { CurvePoint, CurveSummary } from "./types";

export const ROC_FILE = "roc_curves.svg";
export const ROC_TITLE = "ROC curves";
export const PR_FILE = "pr_curves.svg";
export const PR_TITLE = "Precision-recall curves";

const fmt = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));

/** Legend label per model, e.g. "p_complete (AUC 0.812)". */
function labelled(points: CurvePoint[], summary: CurveSummary[], metric: string) {
  const label = new Map(summary.map((s) => [s.model, `${s.model} (${metric} ${fmt(s.value)})`]));
  const values = points.map((p, i) => ({ ...p, i, label: label.get(p.model) ?? p.model }));
  const domain = summary.map((s) => label.get(s.model) as string);
  return { values, domain };
}

/** One ROC line per model plus the chance diagonal. */
export function rocSpec(points: CurvePoint[], summary: CurveSummary[], split: string): VlSpec {
  const { values, domain } = labelled(points, summary, "AUC");
  return {
    ...frame(ROC_TITLE, `${split} plays · one line per model`),
    width: HEIGHT + 60,
    height: HEIGHT + 60,
    layer: curveLayers([{ x: 0, y: 0 }, { x: 1, y: 1 }], values, domain, "False positive rate", "True positive rate"),
  };
}

/** One precision-recall line per model plus the positive-rate baseline. */
export function prSpec(points: CurvePoint[], summary: CurveSummary[], positiveRate: number | null, split: string): VlSpec {
  const { values, domain } = labelled(points, summary, "AP");
  const baseline = positiveRate === null ? [] : [{ x: 0, y: positiveRate }, { x: 1, y: positiveRate }];
  return {
    ...frame(PR_TITLE, `${split} plays · dashed: completion base rate${positiveRate === null ? "" : " " + positiveRate.toFixed(3)}`),
    width: HEIGHT + 60,
    height: HEIGHT + 60,
    layer: curveLayers(baseline, values, domain, "Recall", "Precision"),
  };
}

/** The dashed reference line (chance / base rate) under one coloured line per model, on [0, 1]². */
function curveLayers(reference: { x: number; y: number }[], values: ReturnType<typeof labelled>["values"], domain: string[], xTitle: string, yTitle: string) {
  const axis01 = { domain: [0, 1] };
  return [
    {
      data: { values: reference },
      mark: { type: "line" as const, color: "#999", strokeDash: [4, 4] },
      encoding: {
        x: { field: "x", type: "quantitative" as const, scale: axis01, title: xTitle },
        y: { field: "y", type: "quantitative" as const, scale: axis01, title: yTitle },
      },
    },
    {
      data: { values },
      mark: { type: "line" as const, strokeWidth: 2 },
      encoding: {
        x: { field: "x", type: "quantitative" as const },
        y: { field: "y", type: "quantitative" as const },
        color: { field: "label", type: "nominal" as const, title: "Model", scale: { domain, scheme: "tableau10" }, legend: { labelLimit: 320, orient: "bottom" as const, direction: "vertical" as const } },
        order: { field: "i", type: "quantitative" as const },
      },
    },
  ];
}
