/**
 * The worker-thread side of the parallel checker (`parallel.ts`): it receives
 * one partition at a time, runs the search on it, and posts the outcome back.
 *
 * The model cannot be sent (it is an object of functions), so the worker
 * finds it itself: a shipped model by its registry name, or a user's model by
 * importing the module the user named. Ops, states and outcomes cross threads
 * by structured clone, so a model used here must keep its inputs and states
 * to plain data (numbers, strings, arrays, typed arrays, plain objects).
 *
 * The search blocks this thread's event loop, so it cannot hear messages
 * while it runs: the main thread stops it through shared memory instead (a
 * cut-off position, polled every few thousand steps), and terminates the
 * thread after the check in any case.
 */

import { parentPort, workerData } from "node:worker_threads";
import { describeError } from "../../errors/index.js";
import { modelByName } from "../models/index.js";
import type { AnyModel } from "../models/types.js";
import { type SearchOp, type SearchOutcome, searchPartition } from "./search.js";

/** How the worker finds its model. */
export type WorkerModelSource = { name: string } | { moduleUrl: string; exportName: string };

export interface WorkerSetup {
  model: WorkerModelSource;
  /** `Int32Array` view: [0] is the cut-off position; a job whose position is above it stops. */
  cancel: SharedArrayBuffer;
}

export interface WorkerJob {
  jobId: number;
  position: number;
  ops: SearchOp[];
  initial: unknown;
  /** Time left for this job when it was posted, ms (clocks differ between threads, so no absolute deadline). */
  budgetMs: number;
  maxCacheBytes: number;
}

export type WorkerReply = { jobId: number; outcome: SearchOutcome } | { jobId: number; error: string };

async function loadModel(source: WorkerModelSource): Promise<AnyModel> {
  if ("name" in source) {
    const model = modelByName(source.name);
    if (!model) throw new Error(`no shipped model named ${JSON.stringify(source.name)}`);
    return model;
  }
  const module = (await import(source.moduleUrl)) as Record<string, unknown>;
  const model = module[source.exportName];
  if (typeof model !== "object" || model === null || typeof (model as AnyModel).step !== "function") {
    throw new Error(`${source.moduleUrl} exports no model named ${source.exportName}`);
  }
  return model as AnyModel;
}

const port = parentPort;
if (port) {
  const setup = workerData as WorkerSetup;
  const cutoff = new Int32Array(setup.cancel);
  const modelPromise = loadModel(setup.model);
  // Jobs arrive one at a time (the pool posts the next only after a reply), so handling them in order is enough.
  port.on("message", (job: WorkerJob) => {
    modelPromise.then(
      (model) => {
        const deadline = performance.now() + job.budgetMs;
        let reply: WorkerReply;
        try {
          const outcome = searchPartition(job.ops, model, job.initial, {
            deadline,
            maxCacheBytes: job.maxCacheBytes,
            stopRequested: () => job.position > Atomics.load(cutoff, 0),
          });
          reply = { jobId: job.jobId, outcome };
        } catch (error) {
          reply = {
            jobId: job.jobId,
            error: error instanceof Error ? (error.stack ?? error.message) : describeError(error),
          };
        }
        port.postMessage(reply);
      },
      (error: unknown) => {
        port.postMessage({ jobId: job.jobId, error: describeError(error) } satisfies WorkerReply);
      },
    );
  });
}
