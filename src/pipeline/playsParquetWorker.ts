/** Worker-thread body for `playsParquetInWorker` (./parquet): the play table's columns → plays.parquet's bytes. */
import { serveWorkerJob } from "../common/worker";
import { playsTable, toParquet } from "./parquet";
import type { PlaysColumns } from "./parquet";

serveWorkerJob<{ plays: PlaysColumns }, Uint8Array>(({ plays }) => {
  const bytes = toParquet(playsTable(plays));
  return Promise.resolve({ result: bytes, transfer: [bytes.buffer as ArrayBuffer] });
});
