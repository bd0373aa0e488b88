/** Worker-thread body for `parquetInWorker` (./parquet): Arrow IPC streams → Parquet bytes. */
import { serveWorkerJob } from "../common/worker";
import { parquetFromIpc } from "./parquetBytes";

serveWorkerJob<{ ipc: Uint8Array[]; plainColumns: string[][] }, Uint8Array[]>(({ ipc, plainColumns }) => {
  const bytes = ipc.map((stream, k) => parquetFromIpc(stream, plainColumns[k]));
  return Promise.resolve({ result: bytes, transfer: bytes.map((b) => b.buffer as ArrayBuffer) });
});
