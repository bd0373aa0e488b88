/**
 * Picks the fastest TensorFlow.js backend that works on this machine:
 * tfjs-node (native, when installed) → wasm (SIMD, ships with the project) → pure-JS "cpu".
 *
 * tfjs-node is required by a computed name so neither tsc nor tsx needs it installed.
 * The wasm binaries are loaded from the package's own dist/ folder (a file path with a
 * trailing separator), so no network access is needed.
 */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";

export type BackendName = "tensorflow" | "wasm" | "cpu";

/** The tfjs packages a fit loads (a worker preloads them: `StartWorkerOptions.preload`). */
export const TFJS_PACKAGES: readonly string[] = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm"];

export interface BackendInfo {
  /** Backend in use, as `tf.getBackend()` reports it. */
  name: BackendName;
  /** Backends tried before it, with the reason each was skipped (for the metrics report). */
  skipped: { name: BackendName; reason: string }[];
}

export interface InitBackendOptions {
  /** Force one backend (e.g. "cpu" to compare numbers); still falls back if it cannot start. */
  prefer?: BackendName;
}

let initialised: Promise<BackendInfo> | null = null;
let current: BackendInfo | null = null;

/** Idempotent: the first call decides; later calls return the same result. */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (initialised === null) initialised = chooseBackend(options);
  return initialised;
}

/** The backend chosen by `initBackend`, or null before it resolved. */
export function backendInfo(): BackendInfo | null {
  return current;
}

async function chooseBackend(options: InitBackendOptions): Promise<BackendInfo> {
  const skipped: BackendInfo["skipped"] = [];
  const order: BackendName[] = ["tensorflow", "wasm", "cpu"];
  const start = options.prefer ? order.indexOf(options.prefer) : 0;
  for (const name of order.slice(Math.max(0, start))) {
    const reason = await tryBackend(name);
    if (reason === null) {
      current = { name, skipped };
      return current;
    }
    skipped.push({ name, reason });
  }
  throw new Error(
    `No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`,
  );
}

/** Returns null on success, else why the backend is unusable. */
async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === "tensorflow") {
      const moduleName = "@tensorflow/tfjs-node";
      try {
        require.resolve(moduleName);
      } catch {
        return "@tensorflow/tfjs-node is not installed";
      }
      // Registers the "tensorflow" backend as a side effect.
      await import(moduleName);
    } else if (name === "wasm") {
      // Imported lazily: importing registers the backend, which we only want if chosen.
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
      wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
    }
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend("${name}") returned false`;
    await tf.ready();
    // A tiny op proves the kernels actually run (wasm can register yet fail to instantiate).
    const probe = tf.tidy(() => tf.tensor1d([1, 2]).mul(2).dataSync());
    if (probe[0] !== 2 || probe[1] !== 4) return "probe computation gave a wrong result";
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
