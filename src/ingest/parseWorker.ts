/**
 * Worker-thread body for `ingestExportAsync` (./parallel): reads, decodes, parses and
 * validates the Extended Streaming History files it is sent, one at a time, and posts
 * each back as an ExtendedChunk (or null: the main thread then reads that file itself).
 */
import { parentPort } from "worker_threads";
import { chunkBuffers, preParse, type PreParseTask, type PreParsed } from "./preparse";

export interface PreParseReply {
  id: number;
  pre: PreParsed | null;
}

const port = parentPort;
if (port) {
  port.on("message", (task: PreParseTask) => {
    const pre = preParse(task);
    const reply: PreParseReply = { id: task.id, pre };
    port.postMessage(reply, pre ? chunkBuffers(pre.chunk) : []);
  });
  port.postMessage({ ready: true });
}
