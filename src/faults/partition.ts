/**
 * Partition shapes, as Jepsen names them, computed as *grudges*.
 *
 * A grudge maps a node to the set of nodes whose traffic it drops: `n1 → {n3}`
 * means packets from n3 never reach n1. A symmetric partition lists each link
 * both ways; a one-way partition lists it once. Everything here is a pure
 * function of the node names (and, for the random shapes, a seeded `Random`),
 * so the same seed always gives the same partition; applying a grudge to a
 * network (proxies, iptables) is someone else's job. `linksToCut` turns a
 * grudge into the list of directed links an applier must cut.
 *
 * The shapes, for nodes n1..n5:
 * - `halves`: the first ⌊n/2⌋ nodes against the rest ({n1,n2} | {n3,n4,n5}).
 * - `randomHalves`: the same after a seeded shuffle.
 * - `isolate`: one node against all the others.
 * - `majoritiesRing`: nodes on a ring; each sees only the majority centred on
 *   itself, so every node sees a majority and no two see the same one.
 * - `bridge`: two halves that cannot talk, and one node (the first of the
 *   larger half) that talks to everyone.
 * - `primaries`: each chosen primary alone in its own component, the other
 *   nodes together (Jepsen's `:primaries` spec).
 * - `grudgeFrom`: an explicit grudge, validated.
 */
import type { Random } from "../random/random.js";

/** node → the nodes whose traffic it drops. Nodes absent from the map drop nothing. */
export type Grudge = ReadonlyMap<string, ReadonlySet<string>>;

/** One direction of one link: traffic sent by `from` is dropped before it reaches `to`. */
export interface DirectedLink {
  readonly from: string;
  readonly to: string;
}

function assertDistinct(nodes: readonly string[], what: string): void {
  if (new Set(nodes).size !== nodes.length) throw new Error(`${what}: node names must be distinct`);
}

/**
 * The grudge that separates the given components completely: every node drops
 * traffic from every node outside its own component (Jepsen's `complete-grudge`).
 * Nodes in no component are left alone (they drop nothing, and nobody drops them).
 */
export function completeGrudge(components: readonly (readonly string[])[]): Grudge {
  const all = components.flat();
  assertDistinct(all, "completeGrudge");
  const grudge = new Map<string, Set<string>>();
  for (const component of components) {
    const inside = new Set(component);
    for (const node of component) {
      grudge.set(node, new Set(all.filter((other) => !inside.has(other))));
    }
  }
  return grudge;
}

/** Jepsen's `bisect`: the first ⌊n/2⌋ nodes, then the rest (the smaller half first). */
export function bisect(nodes: readonly string[]): [string[], string[]] {
  const cut = Math.floor(nodes.length / 2);
  return [nodes.slice(0, cut), nodes.slice(cut)];
}

/** The first ⌊n/2⌋ nodes against the rest, in the order given. */
export function halves(nodes: readonly string[]): Grudge {
  return completeGrudge(bisect(nodes));
}

/** Halves after a seeded shuffle: which nodes land in the minority varies with the seed. */
export function randomHalves(nodes: readonly string[], random: Random): Grudge {
  return completeGrudge(bisect(random.shuffle(nodes)));
}

/** Options of {@link isolate}. */
export interface IsolateOptions {
  /** The node to cut off; when absent, one is picked with `random`. */
  readonly node?: string;
  readonly random?: Random;
}

/** One node against all the others (Jepsen's `split-one`, the `:one` spec). */
export function isolate(nodes: readonly string[], options: IsolateOptions): Grudge {
  const loner = options.node ?? options.random?.pick(nodes);
  if (loner === undefined) throw new Error("isolate: give a node or a random to pick one");
  if (!nodes.includes(loner)) throw new Error(`isolate: ${loner} is not one of ${nodes.join(", ")}`);
  return completeGrudge([[loner], nodes.filter((node) => node !== loner)]);
}

/**
 * Every node sees a majority, and no two nodes see the same majority (Jepsen's
 * `majorities-ring`, its "perfect" variant). The nodes are placed on a ring
 * (shuffled when `random` is given, in the given order otherwise); each window
 * of ⌊n/2⌋+1 consecutive nodes is the majority seen by the node in its middle,
 * which drops everyone else. For 5 nodes on the ring n1..n5, n1 sees
 * {n5, n1, n2} and drops {n3, n4}. Needs at least 3 nodes (below that no
 * majority can differ from another).
 */
export function majoritiesRing(nodes: readonly string[], random?: Random): Grudge {
  assertDistinct(nodes, "majoritiesRing");
  const n = nodes.length;
  if (n < 3) throw new Error(`majoritiesRing: needs at least 3 nodes, got ${n}`);
  const ring = random ? random.shuffle(nodes) : nodes.slice();
  const majority = Math.floor(n / 2) + 1;
  const middle = Math.floor(majority / 2);
  const grudge = new Map<string, Set<string>>();
  for (let start = 0; start < n; start++) {
    const window = new Set<string>();
    for (let k = 0; k < majority; k++) window.add(ring[(start + k) % n]!);
    const self = ring[(start + middle) % n]!;
    grudge.set(self, new Set(ring.filter((node) => !window.has(node))));
  }
  return grudge;
}

/**
 * Two halves that cannot talk, joined by one node that talks to both (Jepsen's
 * `bridge`): the halves are `bisect(nodes)` and the bridge is the first node of
 * the larger half. For n1..n5: {n1,n2} and {n4,n5} are cut, n3 sees all.
 * Shuffle the nodes first (with a seeded `Random`) for a random bridge.
 */
export function bridge(nodes: readonly string[]): Grudge {
  const [small, large] = bisect(nodes);
  const bridgeNode = large[0];
  if (bridgeNode === undefined || small.length === 0) {
    throw new Error(`bridge: needs at least 2 nodes, got ${nodes.length}`);
  }
  const full = completeGrudge([small, large]);
  const grudge = new Map<string, Set<string>>();
  for (const [node, dropped] of full) {
    if (node === bridgeNode) continue;
    const kept = new Set(dropped);
    kept.delete(bridgeNode);
    grudge.set(node, kept);
  }
  return grudge;
}

/** Options of {@link primaries}. */
export interface PrimariesOptions {
  /** The nodes believed to be primaries/leaders (the recipe tells). */
  readonly primaries: readonly string[];
  /** When given, a random non-empty subset of the primaries is isolated; otherwise all of them. */
  readonly random?: Random;
}

/**
 * Each chosen primary alone in its own single-node component, every other node
 * in one component (Jepsen's `:primaries` spec): primaries can reach neither
 * each other nor the rest.
 */
export function primaries(nodes: readonly string[], options: PrimariesOptions): Grudge {
  for (const primary of options.primaries) {
    if (!nodes.includes(primary)) throw new Error(`primaries: ${primary} is not one of ${nodes.join(", ")}`);
  }
  if (options.primaries.length === 0) throw new Error("primaries: no primaries given");
  let chosen: readonly string[] = options.primaries;
  if (options.random) {
    const count = options.random.int(1, options.primaries.length);
    chosen = options.random.sample(options.primaries, count);
  }
  const isolated = new Set(chosen);
  const others = nodes.filter((node) => !isolated.has(node));
  return completeGrudge([others, ...chosen.map((primary) => [primary])]);
}

/**
 * An explicit grudge from a plain object (`{ n1: ["n2"], n2: ["n1"] }`),
 * checked against the node list: unknown nodes and self-grudges are errors.
 */
export function grudgeFrom(
  nodes: readonly string[],
  spec: Readonly<Record<string, readonly string[]>> | Grudge,
): Grudge {
  const known = new Set(nodes);
  const entries: [string, Iterable<string>][] =
    spec instanceof Map ? [...(spec as Grudge)] : Object.entries(spec as Record<string, readonly string[]>);
  const grudge = new Map<string, Set<string>>();
  for (const [node, dropped] of entries) {
    if (!known.has(node)) throw new Error(`grudge: unknown node ${node}`);
    const set = new Set<string>();
    for (const from of dropped) {
      if (!known.has(from)) throw new Error(`grudge: ${node} drops unknown node ${from}`);
      if (from === node) throw new Error(`grudge: ${node} cannot drop its own traffic`);
      set.add(from);
    }
    grudge.set(node, set);
  }
  return grudge;
}

/**
 * The directed links a grudge cuts, sorted by (to, from): `{ from, to }` for
 * every `from` in `grudge.get(to)`. A symmetric partition yields each pair twice.
 */
export function linksToCut(grudge: Grudge): DirectedLink[] {
  const links: DirectedLink[] = [];
  for (const [to, dropped] of grudge) {
    for (const from of dropped) links.push({ from, to });
  }
  links.sort((a, b) => (a.to === b.to ? compare(a.from, b.from) : compare(a.to, b.to)));
  return links;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The grudge as a plain, sorted object (for ops' values and reports). */
export function grudgeToJson(grudge: Grudge): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const node of [...grudge.keys()].sort(compare)) out[node] = [...grudge.get(node)!].sort(compare);
  return out;
}
