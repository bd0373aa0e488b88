/** Worker-thread body of `PassHelper` (./logisticPass): half of each closed-loop pass, through shared memory. */
import { isMainThread, workerData } from "worker_threads";
import { servePassHelper } from "./logisticPass";
import type { PassHelperData } from "./logisticPass";

if (!isMainThread) servePassHelper(workerData as PassHelperData);
