/**
 * Arrow IPC stream → Parquet bytes with the project's writer settings (parquet-wasm: Rust's
 * parquet crate compiled to WebAssembly). No apache-arrow import, so the Parquet worker
 * (./parquetWorker) loads only parquet-wasm; the main thread reaches it through ./parquet.
 */
import type * as ParquetWasm from "parquet-wasm";

/** Snappy, dictionary pages on: byte-identical for identical input. */
export function parquetFromIpc(ipc: Uint8Array): Uint8Array {
  // Loaded on first use: the module compiles its WebAssembly when required (~0.3 s), which
  // notebooks that only import a helper from pipeline/write.ts should not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() would make every writer async
  const pw = require("parquet-wasm") as typeof ParquetWasm;
  const wasm = pw.Table.fromIPCStream(ipc);
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setDictionaryEnabled(true).setCreatedBy("spotify-completion-workspace").build();
  return pw.writeParquet(wasm, props);
}
