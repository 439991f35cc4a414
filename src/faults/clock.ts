/**
 * Clock faults through libfaketime (Debian `faketime`): each node starts with
 * `LD_PRELOAD=libfaketime.so.1` and its own control file
 * (`FAKETIME_TIMESTAMP_FILE`, read on every clock call because of
 * `FAKETIME_NO_CACHE=1`), so its wall clock can be moved while it runs.
 * `FAKETIME_DONT_FAKE_MONOTONIC=1` leaves the monotonic clock alone: timers
 * and timeouts keep working, only what the node believes the date is moves,
 * which is what clock-skew bugs are made of.
 *
 * - `bump(nodes, deltaMs)`: add `deltaMs` (±) to the nodes' offsets.
 * - `strobe(nodes, { deltaMs, periodMs, durationMs })`: flip between
 *   `+deltaMs` and the current offset every `periodMs`, for `durationMs`.
 * - `reset(nodes)`: offset 0.
 *
 * **libfaketime only reaches what calls the clock through libc.** Go binaries
 * (etcd) read it through the vDSO and never see the offset. So every clock
 * fault is *verified*: a node that can tell its clock is asked (the demo
 * server's `GET /clock`, Redis `TIME`), and the report says, node by node,
 * whether the fault reached it (`yes`), did not (`no`, e.g. a Go binary), or
 * cannot be told (`unknown`). Never assume a clock moved.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Launch, NodeSpec } from "../cluster/recipe.js";
import { abortableSleep } from "../cluster/sleep.js";

/** Where Debian and others install libfaketime. */
export const LIBFAKETIME_PATHS: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
  "/usr/local/lib/faketime/libfaketime.so.1",
];

/** The libfaketime shared object, or undefined when `faketime` is not installed. */
export function findLibfaketime(): string | undefined {
  const fromEnv = process.env.CRUCIBLE_LIBFAKETIME;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return LIBFAKETIME_PATHS.find((path) => existsSync(path));
}

const goCache = new Map<string, boolean>();
/** Bound on how much of a binary is scanned for Go's build-info marker. */
const GO_SCAN_BYTES_MAX = 256 * 1024 * 1024;

/** Whether an executable is a Go binary (it carries Go's build-info marker): libfaketime cannot reach its clock. */
export function isGoBinary(path: string): boolean {
  const cached = goCache.get(path);
  if (cached !== undefined) return cached;
  let found = false;
  try {
    const fd = openSync(path, "r");
    try {
      const marker = Buffer.from("\xff Go buildinf:", "latin1");
      const chunk = Buffer.alloc(4 * 1024 * 1024);
      let position = 0;
      let carry = Buffer.alloc(0);
      while (position < GO_SCAN_BYTES_MAX) {
        const read = readSync(fd, chunk, 0, chunk.length, position);
        if (read <= 0) break;
        const window = Buffer.concat([carry, chunk.subarray(0, read)]);
        if (window.includes(marker)) {
          found = true;
          break;
        }
        carry = window.subarray(Math.max(0, window.length - marker.length));
        position += read;
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    found = false;
  }
  goCache.set(path, found);
  return found;
}

/** Did a clock fault reach a node? */
export interface ClockReach {
  readonly node: string;
  /** `yes`: the node's clock reads the offset; `no`: it does not; `unknown`: the node cannot tell its clock. */
  readonly reached: "yes" | "no" | "unknown";
  readonly expectedOffsetMs: number;
  /** The node's clock minus ours, when it could be read. */
  readonly observedOffsetMs?: number;
  /** How it was found out (`demo GET /clock`, `redis TIME`, `go binary`, ...). */
  readonly how: string;
}

/** The completion value of a clock fault. */
export interface ClockReport {
  readonly nodes: string[];
  /** The offset each node's control file now holds, ms. */
  readonly offsetsMs: Record<string, number>;
  readonly reach: ClockReach[];
  /** Nodes the fault really reached (verified). */
  readonly reached: string[];
  readonly note?: string;
}

/** Read a node's wall clock in ms since the epoch; undefined when it cannot tell. */
export type ClockProbe = (node: string, signal: AbortSignal) => Promise<number | undefined>;

export interface ClockFaultsOptions {
  /** How to ask a node for its clock (the fault cluster gives one per recipe). */
  readonly probe?: ClockProbe;
  /** Where the control files go when a node spec has no dir (tests). */
  readonly dir?: string;
  /** libfaketime's path; default {@link findLibfaketime}. */
  readonly library?: string;
  /** How far a node's clock may be from the expected offset and still count as reached. Default 300 ms. */
  readonly toleranceMs?: number;
  /**
   * Write a node's control file somewhere else than this machine (a host
   * over SSH): write-then-rename there too. With it, `wrap` writes nothing
   * (the caller writes offset 0 before the node's first start, see
   * {@link ClockFaults.prepare}) and `LD_PRELOAD` is the library alone.
   */
  readonly writeControlFile?: (node: string, file: string, text: string) => Promise<void>;
}

export interface StrobeOptions {
  readonly deltaMs: number;
  /** Time between flips. */
  readonly periodMs: number;
  /** How long the strobe runs; bounded by the caller's signal too. */
  readonly durationMs: number;
  readonly signal?: AbortSignal;
}

/** Control files and verification of clock faults for one cluster. */
export interface ClockFaults {
  readonly library: string;
  /** Add libfaketime and the node's control file to its launch (the fault cluster calls it). */
  wrap(node: NodeSpec, launch: Launch): Launch;
  /** Write the node's control file (offset so far, else 0) before its first start; needed with `writeControlFile`. */
  prepare(node: NodeSpec): Promise<void>;
  offsetMs(node: string): number;
  bump(nodes: readonly string[], deltaMs: number): Promise<ClockReport>;
  strobe(nodes: readonly string[], options: StrobeOptions): Promise<ClockReport>;
  reset(nodes?: readonly string[]): Promise<ClockReport>;
  /** Ask each node for its clock and compare with the offset it should have. */
  verify(nodes: readonly string[]): Promise<ClockReach[]>;
}

/** `+1.500` / `-0.250`: libfaketime's relative offset, in seconds. */
export function faketimeOffset(offsetMs: number): string {
  return `${offsetMs < 0 ? "-" : "+"}${(Math.abs(offsetMs) / 1000).toFixed(3)}`;
}

/** Clock faults over nodes started through `wrap`. Throws when libfaketime is missing. */
export function clockFaults(options: ClockFaultsOptions = {}): ClockFaults {
  const library = options.library ?? findLibfaketime();
  if (!library) {
    throw new Error(
      "libfaketime not found: install the Debian package faketime (as root: apt-get install -y faketime)",
    );
  }
  const toleranceMs = options.toleranceMs ?? 300;
  const files = new Map<string, string>();
  const commands = new Map<string, string>();
  const offsets = new Map<string, number>();

  const remote = options.writeControlFile;
  const write = async (node: string, offsetMs: number): Promise<void> => {
    const file = files.get(node);
    if (!file) throw new Error(`clock: node ${node} was not started under libfaketime`);
    const text = `${faketimeOffset(offsetMs)}\n`;
    if (remote) {
      await remote(node, file, text);
    } else {
      // Write then rename: a node reading the file on every clock call never sees half of it.
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    }
    offsets.set(node, offsetMs);
  };
  const fileOf = (node: NodeSpec): string => join(node.dir || options.dir || ".", "faketime.rc");

  const verifyOne = async (node: string): Promise<ClockReach> => {
    const expectedOffsetMs = offsets.get(node) ?? 0;
    const command = commands.get(node);
    if (options.probe) {
      const before = Date.now();
      const wallMs = await options.probe(node, AbortSignal.timeout(3_000)).catch(() => undefined);
      const after = Date.now();
      if (wallMs !== undefined) {
        const observedOffsetMs = Math.round(wallMs - (before + after) / 2);
        const slack = toleranceMs + (after - before);
        const reached = Math.abs(observedOffsetMs - expectedOffsetMs) <= slack ? "yes" : "no";
        return { node, reached, expectedOffsetMs, observedOffsetMs, how: "asked the node for its clock" };
      }
    }
    if (command && isGoBinary(command)) {
      return {
        node,
        reached: expectedOffsetMs === 0 ? "yes" : "no",
        expectedOffsetMs,
        how: `${command} is a Go binary: it reads the clock through the vDSO, which libfaketime cannot reach`,
      };
    }
    return { node, reached: "unknown", expectedOffsetMs, how: "the node cannot report its clock" };
  };

  const verify = async (nodes: readonly string[]): Promise<ClockReach[]> => Promise.all(nodes.map(verifyOne));

  const report = async (nodes: readonly string[], reach?: ClockReach[]): Promise<ClockReport> => {
    const checked = reach ?? (await verify(nodes));
    const notReached = checked
      .filter((entry) => entry.reached !== "yes")
      .map((entry) => `${entry.node} (${entry.reached}: ${entry.how})`);
    return {
      nodes: nodes.slice(),
      offsetsMs: Object.fromEntries(nodes.map((node) => [node, offsets.get(node) ?? 0])),
      reach: checked,
      reached: checked.filter((entry) => entry.reached === "yes").map((entry) => entry.node),
      ...(notReached.length > 0
        ? { note: `clock fault did not verifiably reach ${notReached.join(", ")}` }
        : {}),
    };
  };

  return {
    library,
    async prepare(node) {
      files.set(node.name, fileOf(node));
      await write(node.name, offsets.get(node.name) ?? 0);
    },
    wrap(node, launch) {
      const file = fileOf(node);
      files.set(node.name, file);
      commands.set(node.name, launch.command);
      // Locally the file is (re)written now, synchronously; a remote one was written by prepare() and keeps its offset.
      if (!remote) {
        writeFileSync(`${file}.tmp`, `${faketimeOffset(offsets.get(node.name) ?? 0)}\n`);
        renameSync(`${file}.tmp`, file);
        offsets.set(node.name, offsets.get(node.name) ?? 0);
      }
      const preload = (remote ? [library] : [library, process.env.LD_PRELOAD]).filter(Boolean).join(":");
      return {
        ...launch,
        env: {
          ...launch.env,
          LD_PRELOAD: preload,
          FAKETIME_TIMESTAMP_FILE: file,
          FAKETIME_NO_CACHE: "1",
          FAKETIME_DONT_FAKE_MONOTONIC: "1",
        },
      };
    },
    offsetMs: (node) => offsets.get(node) ?? 0,
    async bump(nodes, deltaMs) {
      for (const node of nodes) await write(node, (offsets.get(node) ?? 0) + deltaMs);
      return report(nodes);
    },
    async strobe(nodes, strobe) {
      const base = new Map(nodes.map((node) => [node, offsets.get(node) ?? 0]));
      const periodMs = Math.max(10, strobe.periodMs);
      const flipsMax = Math.max(1, Math.ceil(strobe.durationMs / periodMs));
      let reach: ClockReach[] | undefined;
      try {
        for (let flip = 0; flip < flipsMax && !strobe.signal?.aborted; flip++) {
          const skewed = flip % 2 === 0;
          await Promise.all(
            nodes.map((node) => write(node, base.get(node)! + (skewed ? strobe.deltaMs : 0))),
          );
          // Verify once, while the clocks are skewed.
          if (flip === 0) reach = await verify(nodes);
          await abortableSleep(periodMs, strobe.signal);
        }
      } finally {
        await Promise.all(nodes.map((node) => write(node, base.get(node)!)));
      }
      const result = await report(nodes, reach);
      return result;
    },
    async reset(nodes) {
      const names = nodes ?? [...files.keys()];
      for (const node of names) await write(node, 0);
      return report(names);
    },
    verify,
  };
}
