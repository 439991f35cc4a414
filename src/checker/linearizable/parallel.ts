/**
 * `checkLinearizableParallel`: the same check as `checkLinearizable`, with
 * independent partitions searched at once on worker threads
 * (P-compositionality: a history is linearizable when each per-key partition
 * is, so partitions need not wait for each other).
 *
 * ```ts
 * const result = await checkLinearizableParallel(history, models.kv!, { timeLimitMs: 60_000 });
 * ```
 *
 * Decisions, and why:
 * - **Only where it pays.** Starting a worker costs tens of milliseconds
 *   (hundreds under tsx, which compiles the worker's sources), and its ops
 *   are copied to it. Workers are used when the partitions the search must
 *   decide hold at least `minOpsForWorkers` ops together and at least two of
 *   them hold `minPartitionOpsForWorkers` each; otherwise the check runs in
 *   the calling thread exactly as `checkLinearizable` does.
 * - **Same answer as the sequential check.** The verdict and counterexample
 *   come from the first partition, in the sequential checking order (smallest
 *   first), that is not linearizable or could not be decided, so both report
 *   the same partition. When one partition is found invalid, partitions later
 *   in that order are stopped (their answer cannot change the report) and
 *   earlier ones run to the end. Statistics (steps, cache entries) may differ:
 *   the parallel check searches partitions the sequential one never reached.
 * - **Models.** A worker cannot receive a model (functions do not cross
 *   threads). Shipped models are found by name in the registry; a user's own
 *   model needs `modelModule` (the module's URL or path, and the export
 *   name), or the check runs in the calling thread. Step inputs and states
 *   cross threads by structured clone, so they must be plain data.
 * - **Bounded.** The pool is small (at most `maxWorkers`, default
 *   `min(os.availableParallelism(), 4)`), created lazily and terminated when
 *   the check ends, however it ends (valid, invalid, time limit, abort, a
 *   worker's error). The time budget and the abort signal reach the workers
 *   through shared memory and end in `unknown` with progress; a worker that
 *   does not answer within a grace period after that is terminated.
 */

import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Op } from "../../history/op.js";
import { modelByName } from "../models/index.js";
import type { AnyModel } from "../models/types.js";
import {
  type CheckPlan,
  finishCheck,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  planCheck,
  type SearchJob,
} from "./check.js";
import { type SearchOutcome, searchPartition } from "./search.js";
import type { WorkerJob, WorkerModelSource, WorkerReply, WorkerSetup } from "./worker.js";

export interface ParallelLinearizabilityOptions extends LinearizabilityOptions {
  /**
   * Most worker threads. Default `min(os.availableParallelism(), 4)`: the
   * search is CPU-bound, and more threads than cores only add memory. 0 or 1
   * never uses workers.
   */
  maxWorkers?: number;
  /**
   * Use workers only when the partitions left for the search hold at least
   * this many ops in total. Default 40,000. Measured (compiled JS, Node 20,
   * busy 2-core machine): a valid 100,000-op 10-key history spends ~0.6 s
   * preparing, ~0.1 s searching and ~0.2 s copying ops to workers, so workers
   * lose (1.2 s vs 0.7 s); a 40,000-op 4-key history at concurrency 40 with
   * 2.6 M search steps broke even (1.8 s vs 1.6 s). Workers pay only when the
   * search dominates, on a machine with idle cores.
   */
  minOpsForWorkers?: number;
  /** ... and at least two of them hold this many ops each. Default 15,000. */
  minPartitionOpsForWorkers?: number;
  /**
   * Where workers find a model that is not shipped: the module (a `file:` URL
   * or an absolute path) and the name it exports the model under (default
   * `default`). Without it, a custom model is checked in the calling thread.
   */
  modelModule?: { url: string; exportName?: string };
}

/** Default `minOpsForWorkers`. */
export const DEFAULT_MIN_OPS_FOR_WORKERS = 40_000;
/** Default `minPartitionOpsForWorkers`. */
export const DEFAULT_MIN_PARTITION_OPS_FOR_WORKERS = 15_000;
/** Default cap on `maxWorkers`. */
const DEFAULT_WORKERS_CAP = 4;
/** After the deadline or an abort, how long workers get to answer before they are terminated. */
const STOP_GRACE_MS = 2_000;
/** The cut-off value that stops every job. */
const STOP_ALL = -1;
const NO_CUTOFF = 0x7fffffff;

let liveWorkers = 0;

/** Worker threads of this module alive right now (for tests and leak checks): 0 between checks. */
export function liveLinearizabilityWorkers(): number {
  return liveWorkers;
}

/**
 * Check a history against a model, searching independent partitions on
 * worker threads where it pays (see the module comment). Resolves to the
 * same verdict and counterexample as `checkLinearizable`; `stats.workers`
 * says how many threads ran. Rejects when an op's value does not fit the
 * model, or when a worker cannot load the model.
 */
export async function checkLinearizableParallel(
  history: readonly Op[],
  model: AnyModel,
  options: ParallelLinearizabilityOptions = {},
): Promise<LinearizabilityResult> {
  const plan = planCheck(history, model, options);
  const source = await workerModelSource(model, options.modelModule);
  const workers = source === undefined ? 0 : workerCount(plan.jobs, options);
  if (source === undefined || workers < 2) return searchInThread(plan, options.signal);
  plan.stats.workers = workers;
  const outcomes = await searchOnWorkers(plan, { workers, source, signal: options.signal });
  return finishCheck(plan, outcomes);
}

/** How many workers the plan's jobs are worth (0 or 1: none). */
export function workerCount(jobs: readonly SearchJob[], options: ParallelLinearizabilityOptions): number {
  const cap = options.maxWorkers ?? Math.min(availableParallelism(), DEFAULT_WORKERS_CAP);
  const minOps = options.minOpsForWorkers ?? DEFAULT_MIN_OPS_FOR_WORKERS;
  const minPartitionOps = options.minPartitionOpsForWorkers ?? DEFAULT_MIN_PARTITION_OPS_FOR_WORKERS;
  let total = 0;
  let big = 0;
  for (const job of jobs) {
    total += job.searched.length;
    if (job.searched.length >= minPartitionOps) big++;
  }
  if (total < minOps || big < 2) return 0;
  return Math.max(0, Math.min(cap, big));
}

function searchInThread(plan: CheckPlan, signal: AbortSignal | undefined): LinearizabilityResult {
  const outcomes: (SearchOutcome | undefined)[] = [];
  for (const job of plan.jobs) {
    const outcome = searchPartition(job.searched, plan.model, plan.model.init(plan.ctx), {
      deadline: plan.deadline,
      signal,
      maxCacheBytes: plan.maxCacheBytes,
    });
    outcomes[job.position] = outcome;
    if (outcome.valid !== true) break;
  }
  return finishCheck(plan, outcomes);
}

async function workerModelSource(
  model: AnyModel,
  module: ParallelLinearizabilityOptions["modelModule"],
): Promise<WorkerModelSource | undefined> {
  if (module) {
    const moduleUrl = isAbsolute(module.url) ? pathToFileURL(module.url).href : module.url;
    const exportName = module.exportName ?? "default";
    // Load it here too, so a module that does not export this very model is a clear error, not a wrong verdict.
    const exported = ((await import(moduleUrl)) as Record<string, unknown>)[exportName];
    if (exported !== model) {
      throw new Error(`modelModule ${module.url} does not export the model ${model.name} as ${exportName}`);
    }
    return { moduleUrl, exportName };
  }
  return modelByName(model.name) === model ? { name: model.name } : undefined;
}

/**
 * How to start a worker, for compiled JS (dist/) and for sources under tsx or vitest: the compiled
 * `worker.js` beside this file, or, from sources, a small bootstrap that registers tsx's loader in the new
 * thread and then imports `worker.ts` (on Node 20, `execArgv: ["--import", "tsx"]` does not reach a
 * worker's entry module; registering from inside the thread works on 20, 22 and 24).
 */
function workerEntry(): { script: URL | string; eval: boolean } {
  if (import.meta.url.endsWith(".ts")) {
    const require = createRequire(import.meta.url);
    const tsxApi = pathToFileURL(
      join(dirname(require.resolve("tsx/package.json")), "dist/esm/api/index.mjs"),
    ).href;
    const worker = new URL("./worker.ts", import.meta.url).href;
    const script =
      `import(${JSON.stringify(tsxApi)})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); })`;
    return { script, eval: true };
  }
  return { script: new URL("./worker.js", import.meta.url), eval: false };
}

interface Running {
  worker: Worker;
  job?: SearchJob;
}

async function searchOnWorkers(
  plan: CheckPlan,
  options: { workers: number; source: WorkerModelSource; signal: AbortSignal | undefined },
): Promise<(SearchOutcome | undefined)[]> {
  const outcomes: (SearchOutcome | undefined)[] = [];
  // Largest partitions first keeps the threads busy to the end (the classic longest-job-first schedule).
  const queue = plan.jobs.slice().sort((a, b) => b.searched.length - a.searched.length);
  const cancel = new SharedArrayBuffer(4);
  const cutoff = new Int32Array(cancel);
  Atomics.store(cutoff, 0, NO_CUTOFF);
  const setup: WorkerSetup = { model: options.source, cancel };
  const entry = workerEntry();
  const pool: Running[] = [];
  const initial = plan.model.init(plan.ctx);
  let nextJobId = 0;
  let timer: NodeJS.Timeout | undefined;
  let backstop: NodeJS.Timeout | undefined;
  let stopReason: "time limit" | "aborted" | undefined;
  let onAbort: (() => void) | undefined;

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        if (error === undefined) resolve();
        else reject(error);
      };
      const stopAll = (reason: "time limit" | "aborted"): void => {
        if (settled) return;
        stopReason ??= reason;
        Atomics.store(cutoff, 0, STOP_ALL);
        queue.length = 0;
        // Workers stop within a few thousand steps; one that does not is terminated by the finally below.
        timer ??= setTimeout(() => settle(), STOP_GRACE_MS);
      };
      const dispatch = (running: Running): void => {
        const job = queue.shift();
        running.job = job;
        if (!job) return;
        const budgetMs = plan.deadline - performance.now();
        const message: WorkerJob = {
          jobId: nextJobId++,
          position: job.position,
          ops: job.searched.map((op) => ({
            input: op.input,
            callAt: op.callAt,
            returnAt: op.returnAt,
            required: op.required,
          })),
          initial,
          budgetMs: Math.max(0, budgetMs),
          maxCacheBytes: plan.maxCacheBytes,
        };
        running.worker.postMessage(message);
      };
      const onReply = (running: Running, reply: WorkerReply): void => {
        const job = running.job;
        if (!job) return;
        if ("error" in reply) {
          settle(new Error(`linearizability worker failed on ${job.label}: ${reply.error}`));
          return;
        }
        outcomes[job.position] = reply.outcome;
        if (reply.outcome.valid === false) {
          // Later partitions (in checking order) cannot change the report: stop them, drop them from the queue.
          if (job.position < Atomics.load(cutoff, 0)) Atomics.store(cutoff, 0, job.position);
          const limit = Atomics.load(cutoff, 0);
          for (let q = queue.length - 1; q >= 0; q--) if (queue[q]!.position > limit) queue.splice(q, 1);
        }
        if (reply.outcome.valid === "unknown" && reply.outcome.reason === "time limit") stopAll("time limit");
        dispatch(running);
        if (pool.every((r) => r.job === undefined)) settle();
      };
      if (options.signal?.aborted) {
        settle();
        return;
      }
      onAbort = () => stopAll("aborted");
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (Number.isFinite(plan.deadline)) {
        // A backstop only: workers watch the deadline themselves.
        const untilDeadlineMs = Math.max(0, plan.deadline - performance.now());
        backstop = setTimeout(() => stopAll("time limit"), untilDeadlineMs + STOP_GRACE_MS);
      }
      for (let w = 0; w < options.workers; w++) {
        const worker = new Worker(entry.script, { workerData: setup, eval: entry.eval });
        liveWorkers++;
        const running: Running = { worker };
        pool.push(running);
        worker.on("message", (reply: WorkerReply) => onReply(running, reply));
        worker.on("error", (error) => settle(error));
        worker.on("exit", (code) => {
          liveWorkers--;
          if (running.job)
            settle(new Error(`linearizability worker exited (code ${code}) during ${running.job.label}`));
        });
        dispatch(running);
      }
    });
  } finally {
    if (timer) clearTimeout(timer);
    if (backstop) clearTimeout(backstop);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    for (const running of pool) running.job = undefined;
    await Promise.all(pool.map((running) => running.worker.terminate()));
  }
  if (stopReason === "time limit") {
    // Partitions stopped because another ran out of time ran out of time too, as far as the report goes.
    for (const outcome of outcomes) if (outcome?.reason === "aborted") outcome.reason = "time limit";
  }
  return outcomes;
}
