/**
 * The built-in directives that drive a real cluster (Materialize coordtest's
 * knobs, generalized): run ops through a client, in named sessions, wait for
 * conditions while advancing a logical clock, inject process and network
 * faults, and intercept messages for deterministic ordering.
 *
 * ```
 * exec [session=name] [node=n1] [timeout=10s]     one op per input line; prints one completion per op
 * async session=name [node=n1] [timeout=10s]       start the ops without waiting; prints nothing
 * await session=name [timeout=10s]                 wait for them; prints their completions
 * cancel session=name                              abort them; prints the completions that happened
 * wait [session=name] [node=n1] [timeout=5s]       rerun the ops until the expected output matches
 *                                                  (or, with no expected output, every op is ok and no
 *                                                  read is nil/false), ticking the clock between tries
 * tick [n] [node=...]                              advance the logical clock (demo) by n (default 1)
 * hold link=a->b [direction=up|down|both]          buffer what the link carries
 * release link=a->b                                stop holding; deliver everything held, in order
 * deliver [n] [link=a->b] [timeout=5s]             wait until n messages are held, deliver the oldest n
 * partition n1 | n2 n3    or    partition n1=(n2, n3)   cut peer links (components, or an explicit grudge)
 * heal                                             lift partitions and holds
 * kill|pause|resume|restart node=n                 process faults (node=(n1, n2) for several)
 * print-state [node=...]                           each node's role, durable index and data (demo)
 * cluster [nodes=3] [mode=stale-reads] [replication-delay-ticks=0]   configure before first use
 * ```
 *
 * Links are named by who opens the connections: `client->n1` is every client
 * connection to n1, `n1->n2` every connection n1 opens to n2 (the leader
 * replicating to n2, or n1 forwarding an op if it is a follower). `direction`
 * picks `up` (the requests, the default) or `down` (the replies);
 * `n1->client` is short for `client->n1 direction=down`.
 *
 * Outputs carry no ports, pids, timings or error texts, so a file passes the
 * same way on every machine. A mistake in a directive (unknown node, bad
 * link, missing argument) is a `UsageError` at `file:line`.
 */

import type { LocalNode } from "../../cluster/fixture.js";
import { describeError, UsageError } from "../../errors/index.js";
import { completeGrudge, type Grudge, grudgeFrom } from "../../faults/partition.js";
import type { Directions } from "../../faults/proxy/types.js";
import type { Directive } from "../directive.js";
import type { DirectiveTable } from "../generic.js";
import { retry } from "../retry.js";
import type { ClusterHarness } from "./harness.js";
import {
  allTrue,
  formatCompletion,
  type OpLine,
  OpSyntaxError,
  parseOpLines,
  registerOpProblem,
} from "./ops.js";
import { type OpResult, SessionError } from "./sessions.js";
import { type DataDrivenTarget, noLogicalClock } from "./target.js";

/** Per-op timeout of `exec` and `async`, and the wait of `await`, unless `timeout=` says otherwise. */
export const DEFAULT_OP_TIMEOUT_MS = 10_000;
/** How long `wait` retries, and `deliver` waits for messages, unless `timeout=` says otherwise. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5_000;
/** Longest `timeout=` accepted anywhere: a typo must not hang a test for hours. */
export const MAX_TIMEOUT_MS = 10 * 60_000;
/** Largest `tick` step (the demo server refuses more). */
export const MAX_TICK = 1_000_000_000;

/** One cluster directive: what it prints, given the directive and the harness it drives. */
type ClusterDirective = (d: Directive, harness: ClusterHarness) => Promise<string>;

/** Every cluster directive by name (one function each, below). */
const CLUSTER_DIRECTIVES: Readonly<Record<string, ClusterDirective>> = {
  cluster: clusterDirective,
  exec: execDirective,
  async: asyncDirective,
  await: sessionWaitDirective("await"),
  cancel: sessionWaitDirective("cancel"),
  wait: waitDirective,
  tick: tickDirective,
  hold: holdDirective,
  release: releaseDirective,
  deliver: deliverDirective,
  partition: partitionDirective,
  heal: healDirective,
  kill: nodeFault("kill", async (node) => node.kill()),
  pause: nodeFault("pause", async (node) => node.pause()),
  resume: nodeFault("resume", async (node) => node.resume()),
  restart: nodeFault("restart", async (node) => node.restart()),
  "print-state": printStateDirective,
};

/** The cluster directives over `harness`; merge with `genericDirectives()`. */
export function clusterDirectives(harness: ClusterHarness): DirectiveTable {
  const table: Record<string, (d: Directive) => Promise<string>> = {};
  for (const [name, run] of Object.entries(CLUSTER_DIRECTIVES)) table[name] = (d) => run(d, harness);
  return table;
}

/** Names of the cluster directives, for messages that tell a user they need a target. */
export const CLUSTER_DIRECTIVE_NAMES: readonly string[] = Object.keys(CLUSTER_DIRECTIVES).sort();

async function clusterDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["nodes", "mode", "replication-delay-ticks"]);
  const nodes = d.hasArg("nodes") ? d.intArg("nodes") : undefined;
  if (nodes !== undefined && (nodes < 1 || nodes > 9)) throw d.error("nodes: expected 1 to 9");
  const mode = d.hasArg("mode") ? d.stringArg("mode") : undefined;
  if (mode !== undefined && mode !== "linearizable" && mode !== "stale-reads")
    throw d.error(`mode=${mode}: expected linearizable or stale-reads`);
  const delayTicks = d.hasArg("replication-delay-ticks") ? d.intArg("replication-delay-ticks") : undefined;
  if (delayTicks !== undefined && (delayTicks < 0 || delayTicks > MAX_TICK))
    throw d.error("replication-delay-ticks: expected a non-negative integer");
  if ((mode !== undefined || delayTicks !== undefined) && harness.kind !== "demo")
    throw d.error(`mode and replication-delay-ticks configure the demo server, not ${harness.kind}`);
  harness.configure(d, {
    ...(nodes === undefined ? {} : { nodes }),
    ...(mode === undefined ? {} : { demoMode: mode }),
    ...(delayTicks === undefined ? {} : { replicationDelayTicks: delayTicks }),
  });
  await harness.target();
  return "";
}

/**
 * What `exec` and `async` share: their arguments and ops, as a session request, and the sessions.
 * `session=` is read last (after the nodes and sessions are ready), so a missing one is reported where it
 * always was; `sessionFallback` undefined makes it required.
 */
async function sessionRequest(d: Directive, harness: ClusterHarness, sessionFallback: string | undefined) {
  allowArgs(d, ["session", "node", "timeout"]);
  const ops = opsOf(d, harness);
  const [node] = await harness.nodes(d, "first");
  const sessions = await harness.sessions();
  const request = () => ({
    session: d.stringArg("session", sessionFallback),
    node: node!,
    ops,
    opTimeoutMs: timeoutArg(d, DEFAULT_OP_TIMEOUT_MS),
  });
  return { sessions, request };
}

async function execDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  const { sessions, request } = await sessionRequest(d, harness, "default");
  return formatResults(await sessionCall(d, () => sessions.run(request())));
}

async function asyncDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  const { sessions, request } = await sessionRequest(d, harness, undefined);
  await sessionCall(d, async () => sessions.start(request()));
  return "";
}

/** `await` and `cancel`: collect a session's started ops, waiting for them or aborting them. */
function sessionWaitDirective(method: "await" | "cancel"): ClusterDirective {
  return async (d, harness) => {
    allowArgs(d, ["session", "timeout"]);
    noInput(d);
    const sessions = await harness.sessions();
    const results = await sessionCall(d, () =>
      sessions[method]({ session: d.stringArg("session"), timeoutMs: timeoutArg(d, DEFAULT_OP_TIMEOUT_MS) }),
    );
    return formatResults(results);
  };
}

async function tickDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["n", "node"], { positional: 1 });
  noInput(d);
  const n = positionalInt(d, "n", 1);
  if (n < 0 || n > MAX_TICK) throw d.error(`tick: expected 0 to ${MAX_TICK} steps`);
  if (harness.kind !== "demo") throw d.error(noLogicalClock(harness.kind));
  const target = await harness.target();
  const nodes = d.hasArg("node") ? await harness.nodes(d) : liveNodes(target);
  for (const node of nodes) {
    if (!node.isRunning() || node.isPaused()) throw d.error(`tick: ${node.name} is not running`);
    await target.tick(node, n);
  }
  return "";
}

async function holdDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["link", "direction"]);
  noInput(d);
  const { proxy, direction } = await linkArg(d, harness);
  proxy.proxy.hold({ direction });
  harness.holding.add(proxy.label);
  return "";
}

async function releaseDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["link"]);
  noInput(d);
  const { proxy } = await linkArg(d, harness);
  proxy.proxy.release();
  harness.holding.delete(proxy.label);
  return "";
}

async function deliverDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["n", "link", "timeout"], { positional: 1 });
  noInput(d);
  const n = positionalInt(d, "n", 1);
  if (n < 1 || n > 10_000) throw d.error("deliver: expected 1 to 10000 messages");
  let link: Awaited<ReturnType<typeof linkArg>>;
  if (d.hasArg("link")) link = await linkArg(d, harness);
  else {
    if (harness.holding.size !== 1)
      throw d.error(
        `deliver: say which link (link=a->b); ${harness.holding.size === 0 ? "no link is held" : `held: ${[...harness.holding].sort().join(", ")}`}`,
      );
    const [label] = harness.holding;
    link = await linkArg(d, harness, label);
  }
  const timeoutMs = timeoutArg(d, DEFAULT_WAIT_TIMEOUT_MS);
  try {
    await link.proxy.proxy.waitForHeld({ count: n, timeoutMs });
  } catch {
    throw new Error(
      `deliver: only ${link.proxy.proxy.held().length} message(s) held on ${link.proxy.label} after ${timeoutMs} ms, wanted ${n}`,
    );
  }
  link.proxy.proxy.deliver(n);
  return "";
}

async function partitionDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  noInput(d);
  // Every target's mesh decides: it cuts the grudge exactly (demo, etcd, a Redis replica's link) or refuses it, naming why.
  const grudge = grudgeArgs(d, harness.nodeNames);
  const target = await harness.target();
  const cut = target.partition(grudge);
  return cut.length === 0 ? "cut: none" : `cut: ${cut.map((link) => `${link.from}->${link.to}`).join(" ")}`;
}

async function healDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, []);
  noInput(d);
  const target = await harness.target();
  target.heal();
  harness.holding.clear();
  return "";
}

async function printStateDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["node", "detail"]);
  noInput(d);
  const detail = d.hasArg("detail") ? d.boolArg("detail") : false;
  const target = await harness.target();
  const nodes = await harness.nodes(d, "all");
  const lines: string[] = [];
  for (const node of nodes) {
    if (!node.isRunning()) lines.push(`${node.name} down`);
    else if (node.isPaused()) lines.push(`${node.name} paused`);
    else lines.push(`${node.name} ${await target.describeState(node, { detail })}`);
  }
  return lines.join("\n");
}

async function waitDirective(d: Directive, harness: ClusterHarness): Promise<string> {
  allowArgs(d, ["session", "node", "timeout"]);
  const ops = opsOf(d, harness);
  if (ops.length === 0) throw d.error("wait: expected ops in the input, one per line");
  const timeoutMs = timeoutArg(d, DEFAULT_WAIT_TIMEOUT_MS);
  const [node] = await harness.nodes(d, "first");
  const target = await harness.target();
  const sessions = await harness.sessions();
  const session = d.stringArg("session", "default");
  let last: OpResult[] = [];
  const attempt = async (): Promise<string> => {
    last = await sessionCall(d, () =>
      sessions.run({ session, node: node!, ops, opTimeoutMs: Math.min(timeoutMs, DEFAULT_OP_TIMEOUT_MS) }),
    );
    return formatResults(last);
  };
  // Between attempts, advance the logical clock of every live node: what waits on ticks makes progress.
  const beforeRetry = async (): Promise<void> => {
    if (target.kind !== "demo") return;
    for (const node of liveNodes(target)) await target.tick(node, 1).catch(() => {});
  };
  // With no expected output the goal is "every op ok, no read nil or false", and nothing is printed.
  // Otherwise it is the expected output itself, also when regenerating outputs: the old expected
  // output is the best guess of where the system settles, and on a timeout the last output is
  // what gets written (a value that is merely non-nil may still be on its way to the final one).
  const untilTrue = d.expected === "";
  const settled = "\u0000settled";
  const outcome = await retry(attempt, {
    expected: untilTrue ? settled : d.expected,
    timeoutMs,
    beforeRetry,
    normalize: (output) => (untilTrue && allTrue(last) ? settled : d.context.presentOutput(output)),
  });
  if (!untilTrue) return outcome.output; // On a timeout: the last output, which the engine diffs against the expected.
  if (!outcome.matched)
    throw new Error(
      `wait: not every op was ok with a true value after ${timeoutMs} ms; last output:\n${formatResults(last)}`,
    );
  return "";
}

function formatResults(results: readonly OpResult[]): string {
  return results.map((result) => formatCompletion(result.invocation, result.completion)).join("\n");
}

/**
 * The directive's ops, each checked against what the target's client runs
 * (name, key, number of values) before the cluster starts, so a typo is a
 * usage error at the op's line and nothing is sent.
 */
function opsOf(d: Directive, harness: ClusterHarness) {
  let lines: OpLine[];
  try {
    lines = parseOpLines(d.input, d.line + 1);
  } catch (error) {
    // Point at the op's own line: the input starts on the line after the directive.
    if (error instanceof OpSyntaxError)
      throw new UsageError(error.message, `${d.file}:${d.line + 1 + error.offset}`);
    throw error;
  }
  for (const line of lines) {
    const problem = registerOpProblem(line, `the ${harness.kind} target`);
    if (problem !== undefined) throw new UsageError(problem, `${d.file}:${line.line}`);
  }
  return lines.map((op) => op.invocation);
}

/** Turn a session's misuse into a usage error at the directive's line. */
async function sessionCall<T>(d: Directive, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SessionError) throw d.error(error.message);
    throw error;
  }
}

function noInput(d: Directive): void {
  if (d.input !== "") throw d.error(`${d.cmd} takes no input`);
}

/**
 * Refuse arguments the directive does not know (a typo like `nod=n2` must
 * not silently run against the default node). `positional` bare numeric
 * arguments are allowed (`tick 3`).
 */
function allowArgs(d: Directive, keys: readonly string[], options: { positional?: number } = {}): void {
  let positional = 0;
  for (const arg of d.args) {
    if (keys.includes(arg.key)) continue;
    if (arg.vals.length === 0 && /^\d+$/.test(arg.key) && positional < (options.positional ?? 0)) {
      positional++;
      continue;
    }
    throw d.error(
      `${d.cmd}: unknown argument ${arg.key}; expected ${keys.length === 0 ? "none" : keys.join(", ")}`,
    );
  }
}

/** `tick 3` or `tick n=3`. */
function positionalInt(d: Directive, key: string, fallback: number): number {
  if (d.hasArg(key)) return d.intArg(key);
  const bare = d.args.find((arg) => arg.vals.length === 0 && /^\d+$/.test(arg.key));
  return bare === undefined ? fallback : Number(bare.key);
}

function timeoutArg(d: Directive, fallbackMs: number): number {
  const ms = d.durationMsArg("timeout", fallbackMs);
  if (!(ms > 0) || ms > MAX_TIMEOUT_MS) throw d.error(`timeout: expected a duration above 0 and at most 10m`);
  return ms;
}

function liveNodes(target: DataDrivenTarget): LocalNode[] {
  return target.cluster.nodes.filter((node) => node.isRunning() && !node.isPaused());
}

function nodeFault(name: string, act: (node: LocalNode) => Promise<void>): ClusterDirective {
  return async (d, harness) => {
    allowArgs(d, ["node"]);
    noInput(d);
    const nodes = await harness.nodes(d, "required");
    const sessions = await harness.sessions();
    for (const node of nodes) {
      if (name === "resume" && !node.isPaused()) throw d.error(`resume: ${node.name} is not paused`);
      if (name === "pause" && (!node.isRunning() || node.isPaused()))
        throw d.error(`pause: ${node.name} is not running, or already paused`);
      await act(node);
      // Connections to a node that died are broken; start the next op on a fresh one.
      if (name === "kill" || name === "restart") await sessions.dropNode(node.name);
    }
    return "";
  };
}

/** `link=a->b [direction=...]`, or the label given; resolved to a proxy of the target. */
async function linkArg(d: Directive, harness: ClusterHarness, label?: string) {
  const text = label ?? d.stringArg("link");
  const match = /^([\w.-]+)->([\w.-]+)$/.exec(text);
  if (match === null) throw d.error(`link=${text}: expected a->b (client->n1, n1->n2, n1->client)`);
  let from = match[1]!;
  let to = match[2]!;
  let direction: Directions = "up";
  if (to === "client") {
    [from, to] = [to, from];
    direction = "down";
  }
  if (label === undefined && d.hasArg("direction")) {
    const given = d.stringArg("direction");
    if (given !== "up" && given !== "down" && given !== "both")
      throw d.error(`direction=${given}: expected up, down or both`);
    direction = given;
  }
  // Checked against the planned names, so a typo is reported without starting a cluster.
  const names = harness.nodeNames;
  if (from === to || !names.includes(to) || (from !== "client" && !names.includes(from)))
    throw d.error(
      `link=${text}: no such link; links are client->nX and nX->nY for nodes ${names.join(", ")}`,
    );
  const target = await harness.target();
  const proxy = target.linkProxy({ from, to });
  if (proxy === undefined) {
    const replicas = names.filter((name) => name !== names[0]).map((name) => `${name}->${names[0]}`);
    throw d.error(
      harness.kind === "redis"
        ? `link=${text}: no node dials that link; Redis replicas dial their primary (${replicas.join(", ")}; direction=down carries the replication stream)`
        : harness.kind === "etcd"
          ? `link=${text}: etcd members advertise one peer address to all their peers, and the proxy mesh could not tell the dialers apart here (it needs to read /proc/net/tcp and the members' /proc/<pid>/fd), so it has no proxy of its own for one member's link to another (client->nX links work; kill or pause a member instead)`
          : `link=${text}: the ${harness.kind} target has no proxy for it`,
    );
  }
  return { proxy, direction };
}

/**
 * `partition n1 | n2 n3` (components; every node of one drops the others),
 * `partition n1` (n1 against the rest), or `partition n1=(n2, n3) n2=n1`
 * (an explicit grudge: n1 drops traffic from n2 and n3, n2 from n1).
 */
function grudgeArgs(d: Directive, names: readonly string[]): Grudge {
  if (d.args.length === 0)
    throw d.error("partition: expected components (n1 | n2 n3) or a grudge (n1=(n2, n3))");
  const check = (name: string): string => {
    if (!names.includes(name)) throw d.error(`partition: no node ${name}; the nodes are ${names.join(", ")}`);
    return name;
  };
  if (d.args.some((arg) => arg.vals.length > 0)) {
    const spec: Record<string, string[]> = {};
    for (const arg of d.args) {
      if (arg.vals.length === 0) throw d.error(`partition: mixing a grudge with bare names (${arg.key})`);
      spec[check(arg.key)] = arg.vals.map(check);
    }
    try {
      return grudgeFrom(names, spec);
    } catch (error) {
      throw d.error(describeError(error));
    }
  }
  const components: string[][] = [[]];
  for (const arg of d.args) {
    if (arg.key === "|") components.push([]);
    else components[components.length - 1]!.push(check(arg.key));
  }
  if (components.some((component) => component.length === 0))
    throw d.error("partition: every component needs a node (n1 | n2 n3)");
  if (components.length === 1) {
    const inside = new Set(components[0]);
    components.push(names.filter((name) => !inside.has(name)));
  }
  try {
    return completeGrudge(components);
  } catch (error) {
    throw d.error(describeError(error));
  }
}
