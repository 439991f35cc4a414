/**
 * The named random streams: every label a `Random` is forked by, in one
 * table, so that a reader sees the whole tree that one seed grows and a
 * writer cannot misspell a label (a misspelt label is a different stream, and
 * silently a different run).
 *
 * A run has one root, `new Random(seed)` (label `root`). Each consumer forks
 * its own stream from it, or from a stream below it; a fork is a pure
 * function of (seed, full label path), e.g. `root/generator/clients/7`. So a
 * stream never shifts when another draws one number more, and a consumer that
 * has only the seed (the fault schedule) gets the same stream as one that
 * forks the runner's root (`new Random(seed).fork(label)` is the same stream).
 *
 * The labels are part of every stored run: renaming one changes what a stored
 * seed replays. Add streams; do not rename them. `test/random/golden.test.ts`
 * pins the draws of the labels below.
 */
/** One named stream of the table. */
export interface RandomStream {
  /** The label passed to `fork` (to `new Random` for a root of its own). Never rename one. */
  readonly label: string;
  /** The stream it is forked from (`root` is the run's `new Random(seed)`). */
  readonly parent: string;
  /** Who draws from it, and what for. */
  readonly usedBy: string;
}

export const STREAMS = {
  /**
   * The workload and the nemesis schedule as generators see them. Separate from the nemesis's execution and
   * the cluster so that a generator drawing one number more shifts neither.
   */
  generator: {
    label: "generator",
    parent: "root",
    usedBy: "runner/runner.ts and generator/simulate.ts: the GeneratorDriver's context",
  },
  /**
   * The client side of the generator (`clients(...)`); op k draws from `.../clients/k` and an update after
   * op k from `.../clients/update-k`, so the k-th op does not depend on how often the runner polled.
   */
  clients: {
    label: "clients",
    parent: "generator",
    usedBy: "generator/route.ts: the client workload, one fork per op",
  },
  /**
   * The nemesis side of the generator (`nemesis(...)`), forked like `clients`: the fault schedule does not
   * shift when the workload draws one number more.
   */
  nemesis: {
    label: "nemesis",
    parent: "generator",
    usedBy: "generator/route.ts: a generator-built nemesis schedule, one fork per op",
  },
  /**
   * One stream per worker in `eachWorker(...)`, labelled `worker-<id>` (see `workerStreamLabel`): a worker's
   * draws do not depend on how the others' ops interleave.
   */
  worker: {
    label: "worker-<id>",
    parent: "the stream of the context eachWorker runs in",
    usedBy: "generator/route.ts: eachWorker's per-worker copies",
  },
  /**
   * What the nemesis draws while it carries out a fault op (which node, how long). Separate from the schedule
   * so that carrying out an op differently does not change which ops come next.
   */
  nemesisExec: {
    label: "nemesis-exec",
    parent: "root",
    usedBy: "runner/runner.ts: the nemesis's execution of fault ops",
  },
  /**
   * The built-in fault schedule (`--nemesis`): which fault comes when, against which nodes. Forked from a
   * root of the seed alone (the same stream), since the schedule is planned before the runner makes its root.
   */
  nemesisSchedule: {
    label: "nemesis-schedule",
    parent: "root",
    usedBy: "faults/schedule.ts (nemesisForRun): the fault plan of a run",
  },
  /** Setting up the cluster: the recipe's variant, the proxies. Separate so a new variant shifts no op. */
  cluster: {
    label: "cluster",
    parent: "root",
    usedBy: "runner/runner.ts: the spec's cluster factory (cluster/fixture.ts picks the variant from it)",
  },
  /**
   * The variant a recipe runs as (`cluster/<recipe>/variant`, see `clusterVariantLabel`), from the `cluster`
   * stream the runner passes, or from a root of the cluster's seed when started alone.
   */
  clusterVariant: {
    label: "cluster/<recipe>/variant",
    parent: "cluster",
    usedBy: "cluster/fixture.ts: chooseVariant",
  },
  /**
   * The cluster's token (etcd's `--initial-cluster-token`), `cluster/<recipe>/token/<attempt>`, see
   * `clusterTokenLabel`. A root of its own per start attempt: a retried start gets a new token, so its nodes
   * never join the failed attempt's, and the retry shifts no other stream.
   */
  clusterToken: {
    label: "cluster/<recipe>/token/<attempt>",
    parent: "a root of its own (new Random(seed, label))",
    usedBy: "cluster/fixture.ts: clusterToken",
  },
  /**
   * The proxy mesh's loss, latency and reordering draws; below it one fork per proxy, by link
   * (faults/proxy/mesh.ts), and below each proxy one per connection and direction (faults/proxy/proxy.ts).
   */
  proxyMesh: {
    label: "proxy-mesh",
    parent: "cluster",
    usedBy: "faults/fault-cluster.ts: the proxy mesh between nodes",
  },
  /** `simulate`'s made-up completions (ok, fail or info; latencies), apart from the generator's own stream. */
  simulatedCompletions: {
    label: "simulated-completions",
    parent: "root",
    usedBy: "generator/simulate.ts: the simulated completions",
  },
  /**
   * The data-driven demo target's link proxies, one fork per link label (`client->n1`, `n1->n2`). A root of
   * its own: a data-driven file has no run around it.
   */
  datadriven: {
    label: "datadriven",
    parent: "a root of its own (new Random(seed, label))",
    usedBy: "datadriven/directives/target.ts: the fault mesh of every datadriven target",
  },
  /** Setting up the test's actors (docs/actors.md): separate, so adding actors shifts no op and no fault. */
  actors: {
    label: "actors",
    parent: "root",
    usedBy: "runner/runner.ts: the spec's actors factory",
  },
  /**
   * The sync chaos engine: which actor acts next, which action, which target, which fault. One stream, so
   * the same seed replays the same sequence of actions and targets.
   */
  syncChaos: {
    label: "sync-chaos",
    parent: "root",
    usedBy: "sync/engine.ts: the ChaosEngine's choices (and the scenarios run after it)",
  },
  /** The sync harness's per-actor proxies (`sync-harness/proxy/<actor>`), apart from the engine's choices. */
  syncHarness: {
    label: "sync-harness",
    parent: "root",
    usedBy: "sync/harness.ts: the proxies between actors and the server",
  },
} as const satisfies Record<string, RandomStream>;

/** `STREAMS.worker`'s label for worker `worker`: `worker-<id>`. */
export function workerStreamLabel(worker: number | "nemesis"): string {
  return `worker-${worker}`;
}

/** `STREAMS.clusterVariant`'s label for a recipe. */
export function clusterVariantLabel(recipeName: string): string {
  return `cluster/${recipeName}/variant`;
}

/** `STREAMS.clusterToken`'s label for a recipe's `attempt`-th try. */
export function clusterTokenLabel(recipeName: string, attempt: number): string {
  return `cluster/${recipeName}/token/${attempt}`;
}
