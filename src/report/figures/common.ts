/** Shared pieces of the vega-lite figure specs. */
import type { TopLevelSpec } from "vega-lite";

export type VlSpec = TopLevelSpec;

export const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
export const WIDTH = 640;
export const HEIGHT = 300;
export const COLORS = {
  completed: "#1DB954",
  skipped: "#E45756",
  plays: "#C8CED6",
  noLabels: "#8D99A6",
  line: "#1F3B57",
};

/** Top-level properties common to every figure (white background, fixed fonts). */
export function frame(title: string, subtitle?: string) {
  return {
    $schema: SCHEMA,
    title: subtitle ? { text: title, subtitle, anchor: "start" as const } : { text: title, anchor: "start" as const },
    description: title,
    background: "white",
    padding: 12,
    config: {
      font: "Helvetica, Arial, sans-serif",
      view: { stroke: null },
      axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: "#555" },
    },
  };
}

/** Percent axis for a 0..1 rate. */
export const rateAxis = (title: string) => ({ title, format: ".0%" });

/** Format a number with thousands separators (locale-independent). */
export function fmtInt(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Format a 0..1 rate as a whole percent. */
export const fmtPct = (r: number) => `${Math.round(r * 100)}%`;

/** The ordinal x channel of `playsAndRateSpec`. */
export interface OrdinalX {
  field: string;
  type: "ordinal";
  title: string;
  sort?: null;
  scale?: { domain: string[] };
  axis: { labelAngle: number };
}

/**
 * Bars: plays per `x` value (right axis); line: completion rate of labelled plays (left
 * axis, 0–1). Rows carry `plays` and `completion_rate`.
 */
export function playsAndRateSpec(title: string, subtitle: string, rows: readonly object[], x: OrdinalX): VlSpec {
  return {
    ...frame(title, subtitle),
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    encoding: { x },
    layer: [
      {
        mark: { type: "bar", color: COLORS.plays },
        encoding: { y: { field: "plays", type: "quantitative", title: "Plays", axis: { orient: "right" } } },
      },
      {
        mark: { type: "line", color: COLORS.line, point: { color: COLORS.line }, invalid: "break-paths-filter-domains" },
        encoding: {
          y: { field: "completion_rate", type: "quantitative", axis: rateAxis("Completion rate"), scale: { domain: [0, 1] } },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
}

/** The category channel of `labelledBarsSpec` (y, and yOffset for grouped bars). */
export interface NominalChannel {
  field: string;
  type: "nominal";
  title?: string | null;
  sort?: string[] | null;
  scale?: { domain: string[] };
}

/** The value channel of `labelledBarsSpec`. */
export interface BarValueX {
  field: string;
  type: "quantitative";
  title?: string;
  axis?: { title?: string; format: string };
  scale?: { domain: number[] };
}

/**
 * Horizontal bars, one per `y` category (grouped by `yOffset` when given), each with its row's
 * `label` written just past the bar's end. `barColor`: one colour for every bar; `color`: a
 * colour channel instead (grouped bars). `step`: pixels per bar.
 */
export function labelledBarsSpec(o: {
  title: string;
  subtitle: string;
  width: number;
  step: number;
  values: readonly object[];
  y: NominalChannel;
  yOffset?: NominalChannel;
  x: BarValueX;
  barColor?: string;
  color?: NominalChannel;
  label: { dx: number; fontSize: number };
}): VlSpec {
  const categories = { y: o.y, ...(o.yOffset ? { yOffset: o.yOffset } : {}) };
  return {
    ...frame(o.title, o.subtitle),
    width: o.width,
    height: { step: o.step },
    data: { values: o.values },
    layer: [
      {
        mark: { type: "bar", ...(o.barColor ? { color: o.barColor } : {}) },
        encoding: { ...categories, x: o.x, ...(o.color ? { color: o.color } : {}) },
      },
      {
        mark: { type: "text", align: "left", dx: o.label.dx, fontSize: o.label.fontSize, color: "#333" },
        encoding: { ...categories, x: { field: o.x.field, type: "quantitative" }, text: { field: "label" } },
      },
    ],
  };
}
