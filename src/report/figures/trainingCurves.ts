import { frame, VlSpec, WIDTH, HEIGHT } from "./common";
import type { TrainingHistory } from "./types";

export const FILE = "training_curves.svg";
export const TITLE = "Training curves (log loss per epoch)";

export interface TrainingCurvePoint {
  model: string;
  /** "train" or "validation". */
  set: string;
  epoch: number;
  loss: number;
}

/** Long-format loss points from per-epoch histories. */
export function trainingCurvePoints(histories: TrainingHistory[]): TrainingCurvePoint[] {
  const points: TrainingCurvePoint[] = [];
  for (const { model, ...h } of histories) {
    h.train.forEach((loss, i) => points.push({ model, set: "train", epoch: i + 1, loss }));
    h.validation.forEach((loss, i) => points.push({ model, set: "validation", epoch: i + 1, loss }));
  }
  return points;
}

/** One line per model and set; dashed lines are the validation slice that drives early stopping. */
export function trainingCurvesSpec(points: TrainingCurvePoint[]): VlSpec {
  return {
    ...frame(TITLE, "solid: training loss (with the L2 penalty) · dashed: validation log loss"),
    width: WIDTH,
    height: HEIGHT,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch" },
      y: { field: "loss", type: "quantitative", title: "log loss", scale: { zero: false } },
      color: { field: "model", type: "nominal", title: "model" },
      strokeDash: { field: "set", type: "nominal", title: "set" },
    },
  };
}
