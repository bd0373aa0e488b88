/** vega-lite spec → SVG string in Node, no browser and no network. */
import type * as Vega from "vega";
import type * as VegaLite from "vega-lite";
import { escapeHtml } from "../html";
import type { VlSpec } from "./common";

export interface RenderOptions {
  /** Receives vega-lite/vega warnings (default: dropped, so CLI output stays clean). */
  onWarning?: (message: string) => void;
}

/**
 * vega and vega-lite, loaded on first use: a run whose figures render in a worker thread never
 * loads them on its main thread (~0.2 s of its start-up; report/visualize's `startFigureWorker`).
 */
function vegaModules(): { vega: typeof Vega; vegaLite: typeof VegaLite } {
  /* eslint-disable @typescript-eslint/no-require-imports -- a synchronous lazy load, as pipeline/parquet loads parquet-wasm */
  return { vega: require("vega") as typeof Vega, vegaLite: require("vega-lite") as typeof VegaLite };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** vega's logger: warnings go to `onWarning`, errors throw, the rest is dropped. */
class Logger implements Vega.LoggerInterface {
  private current: number;
  constructor(
    private readonly vega: typeof Vega,
    private readonly onWarning: (message: string) => void,
  ) {
    this.current = vega.Warn;
  }
  level(value: number): this;
  level(): number;
  level(value?: number): this | number {
    if (value === undefined) return this.current;
    this.current = value;
    return this;
  }
  error(...args: readonly unknown[]): this {
    throw new Error(logText(args));
  }
  warn(...args: readonly unknown[]): this {
    if (this.current >= this.vega.Warn) this.onWarning(logText(args));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

const logText = (args: readonly unknown[]) => args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");

/**
 * vega numbers gradients/clip paths with a process-wide counter (gradient_7, clip3…): renumber
 * them in order of appearance so the same spec always gives the same bytes.
 */
export function canonicalSvgIds(svg: string): string {
  const map = new Map<string, string>();
  const perPrefix = new Map<string, number>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) {
    const id = m[1];
    if (map.has(id)) continue;
    const prefix = id.replace(/\d+$/, "");
    const k = perPrefix.get(prefix) ?? 0;
    perPrefix.set(prefix, k + 1);
    map.set(id, `${prefix}${k}`);
  }
  if (map.size === 0) return svg;
  return svg.replace(/(\bid="|url\(#|href="#)([^")]+)/g, (all, head: string, id: string) =>
    map.has(id) ? head + map.get(id) : all,
  );
}

/**
 * Compile a vega-lite spec and render it headlessly (renderer "none" + toSVG). A `<title>` (the
 * spec's description) is added for accessibility. Same spec → same SVG string.
 */
export async function renderSvg(spec: VlSpec, options: RenderOptions = {}): Promise<string> {
  const { vega, vegaLite } = vegaModules();
  const log = new Logger(vega, options.onWarning ?? (() => undefined));
  // vega mutates inline data (tuple ids, parsed dates): render a JSON copy so callers' data stays intact.
  const vgSpec = vegaLite.compile(JSON.parse(JSON.stringify(spec)) as VlSpec, { logger: log }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none", logger: log });
  try {
    const svg = canonicalSvgIds(await view.toSVG());
    const title = typeof spec.description === "string" ? spec.description : "";
    return title ? svg.replace(/^<svg[^>]*>/, (open) => `${open}<title>${escapeHtml(title)}</title>`) : svg;
  } finally {
    view.finalize();
  }
}
