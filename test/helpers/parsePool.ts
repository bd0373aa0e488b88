/** Variants of ingestion's worker pool, injected by the parallel-ingestion tests. */
import { ParsePool, type ParsePoolFactory } from "../../src/ingest/parallel";

/** Every extended file through the workers while one is alive (the main thread parses none), so the workers' path is exercised. */
export const workersOnly: ParsePoolFactory = (tasks, count) =>
  new (class extends ParsePool {
    protected mainThreadParses(): boolean {
      return false;
    }
  })(tasks, count);

/** Workers that load `module` (a missing one exercises the fallback to the main thread). */
export function workersLoading(module: string): ParsePoolFactory {
  return (tasks, count) =>
    new (class extends ParsePool {
      protected workerSource(): string {
        return module;
      }
      protected mainThreadParses(): boolean {
        return false;
      }
    })(tasks, count);
}
