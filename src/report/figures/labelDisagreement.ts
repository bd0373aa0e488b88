import { labelledBarsSpec, VlSpec, WIDTH } from "./common";
import type { LabelDisagreementRow } from "./types";

export const FILE = "label_disagreement_by_platform.svg";
export const TITLE = "What counts as finished? Disagreement with reason-end by platform";

/** Per platform family (most labelled plays first), one bar per rule: share of labelled plays it labels differently from reason-end. */
export function labelDisagreementSpec(rows: LabelDisagreementRow[]): VlSpec {
  const platforms: string[] = [];
  for (const r of rows) if (!platforms.includes(r.platform_family)) platforms.push(r.platform_family);
  const rules: string[] = [];
  for (const r of rows) if (!rules.includes(r.rule)) rules.push(r.rule);
  const values = rows.map((r) => ({ ...r, label: `${(100 * r.disagreement).toFixed(0)}% of ${r.labelled}` }));
  const y = { field: "platform_family", type: "nominal" as const, title: "Platform family", sort: platforms };
  const yOffset = { field: "rule", type: "nominal" as const, sort: rules };
  return labelledBarsSpec({
    title: TITLE,
    subtitle: "share of labelled plays each rule labels differently from reason_end = trackdone · label: share of labelled plays",
    width: WIDTH - 240,
    step: 16,
    values,
    y,
    yOffset,
    x: { field: "disagreement", type: "quantitative", title: "Disagreement with reason-end", axis: { format: ".0%" } },
    color: { field: "rule", type: "nominal", title: "Rule", sort: rules },
    label: { dx: 3, fontSize: 9 },
  });
}
