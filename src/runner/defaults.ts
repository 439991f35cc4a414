/**
 * The run options a user did not give, derived from the ones they did, so
 * that a run at the CLI's default flags can find what it is meant to find
 * (docs/detection.md has the rates each rule bought).
 *
 * - **Concurrency follows the cluster**: {@link CLIENTS_PER_NODE} workers per
 *   node. Workers are bound to nodes round-robin (worker `w` talks to node
 *   `w % nodes`), so a multiple of the node count gives every node the same
 *   number of clients, and a node cut off by a fault still has several
 *   clients reading from it while the others wait on ops the fault blocks.
 *   With a fixed 5 workers on 3 nodes, the third node had one client, and a
 *   partition that isolated it was seen by that one client only.
 * - **The op timeout is shorter than a fault**: a fifth of the nemesis
 *   interval (each fault lasts one interval), at most {@link OP_TIMEOUT_MS_MAX}.
 *   A client whose write a partition blocks gives up, becomes a fresh process
 *   (an `info` op) and carries on — so it reads from its side of the fault
 *   again, several times per fault. With a 5 s op timeout and 5 s faults, a
 *   client of the isolated node spent the whole fault waiting on its first
 *   blocked write and never saw the stale state it was there to see.
 */

/** Workers per node when `--concurrency` is not given. */
export const CLIENTS_PER_NODE = 3;

/** The op timeout is at most this, whatever the nemesis interval (the CLI's old fixed default). */
export const OP_TIMEOUT_MS_MAX = 5_000;

/** The op timeout is never shorter than this: a healthy op on a loaded machine must not time out. */
export const OP_TIMEOUT_MS_MIN = 250;

/** How many op timeouts fit into one fault: a blocked client comes back this many times per fault. */
export const OP_TIMEOUTS_PER_FAULT = 5;

/** `--concurrency` when not given: {@link CLIENTS_PER_NODE} per node. */
export function defaultConcurrency(nodes: number): number {
  return CLIENTS_PER_NODE * Math.max(1, nodes);
}

/**
 * `--op-timeout` when not given: the nemesis interval (how long each fault
 * lasts) over {@link OP_TIMEOUTS_PER_FAULT}, within
 * [{@link OP_TIMEOUT_MS_MIN}, {@link OP_TIMEOUT_MS_MAX}]: 1 s at the default
 * 5 s interval.
 */
export function defaultOpTimeoutMs(nemesisIntervalMs: number): number {
  const share = Math.floor(nemesisIntervalMs / OP_TIMEOUTS_PER_FAULT);
  return Math.min(OP_TIMEOUT_MS_MAX, Math.max(OP_TIMEOUT_MS_MIN, share));
}
