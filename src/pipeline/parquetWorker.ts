/** Worker-thread body for `parquetInWorker` (./parquet): Arrow IPC streams → Parquet bytes. */
import { serveWorkerJob } from "../common/worker";
import { parquetFromIpc } from "./parquetBytes";

serveWorkerJob<{ ipc: Uint8Array[] }, Uint8Array[]>(({ ipc }) => {
  const bytes = ipc.map(parquetFromIpc);
  return Promise.resolve({ result: bytes, transfer: bytes.map((b) => b.buffer as ArrayBuffer) });
});
