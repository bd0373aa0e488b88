/** Worker-thread body for `startFigureWorker` (./visualize): renders and writes one run's figures. */
import { serveWorkerJob } from "../common/worker";
import type { FigureData } from "./figures/types";
import type { RenderReport } from "./figures";
import { writeFigureFiles } from "./visualize";

serveWorkerJob<{ data: FigureData; outDir: string }, RenderReport>(async ({ data, outDir }) => ({ result: await writeFigureFiles(data, outDir) }));
