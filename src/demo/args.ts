/**
 * The demo server's command line, parsed with node:util's parseArgs (a
 * builtin: the server imports nothing else, so it starts fast).
 */
import { parseArgs } from "node:util";
import { DEMO_MODES, type DemoMode } from "./protocol.js";

export const DEMO_SERVER_USAGE = `usage: demo-server --name NAME --data-dir DIR [--port 0] [--host 127.0.0.1]
  [--peers n2=http://127.0.0.1:P2,n3=...] [--leader NAME] [--mode linearizable|stale-reads]
  [--replication-delay-ms 0] [--replication-delay-ticks 0] [--heartbeat-ms 200] [--forward-timeout-ms 5000]
  [--replication-timeout-ms 2000] [--max-log-bytes 67108864]
  [--replication-window-entries 10000] [--exit-on-stdin-close]`;

export interface DemoServerArgs {
  name: string;
  host: string;
  port: number;
  dataDir: string;
  peers: Map<string, URL>;
  leader: string;
  mode: DemoMode;
  replicationDelayMs: number;
  replicationDelayTicks: number;
  heartbeatMs: number;
  forwardTimeoutMs: number;
  replicationTimeoutMs: number;
  maxLogBytes: number;
  replicationWindowEntries: number;
  /** Exit when stdin reaches end of file: a parent that dies (even by SIGKILL) takes this server with it. */
  exitOnStdinClose: boolean;
}

/** Parse the command line; throws an Error whose message names the bad flag. */
export function parseDemoServerArgs(argv: string[]): DemoServerArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      name: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      "data-dir": { type: "string" },
      peers: { type: "string", default: "" },
      leader: { type: "string" },
      mode: { type: "string", default: "linearizable" },
      "replication-delay-ms": { type: "string", default: "0" },
      "replication-delay-ticks": { type: "string", default: "0" },
      "heartbeat-ms": { type: "string", default: "200" },
      "forward-timeout-ms": { type: "string", default: "5000" },
      "replication-timeout-ms": { type: "string", default: "2000" },
      "max-log-bytes": { type: "string", default: String(64 * 1024 * 1024) },
      "replication-window-entries": { type: "string", default: "10000" },
      "exit-on-stdin-close": { type: "boolean", default: false },
    },
  });
  const name = values.name;
  if (!name || !/^[A-Za-z0-9_.-]+$/.test(name))
    throw new Error("--name is required (letters, digits, _ . -)");
  const dataDir = values["data-dir"];
  if (!dataDir) throw new Error("--data-dir is required");
  const mode = values.mode as DemoMode;
  if (!DEMO_MODES.includes(mode)) throw new Error(`--mode must be one of ${DEMO_MODES.join(", ")}`);
  const peers = parsePeers(values.peers ?? "", name);
  const leader = values.leader ?? (peers.size === 0 ? name : undefined);
  if (leader === undefined) throw new Error("--leader is required when there are peers");
  if (leader !== name && !peers.has(leader))
    throw new Error(`--leader ${leader} is neither --name nor a peer`);
  return {
    name,
    host: values.host ?? "127.0.0.1",
    port: integerFlag("port", values.port, 0, 65535),
    dataDir,
    peers,
    leader,
    mode,
    replicationDelayMs: integerFlag("replication-delay-ms", values["replication-delay-ms"], 0, 3_600_000),
    replicationDelayTicks: integerFlag(
      "replication-delay-ticks",
      values["replication-delay-ticks"],
      0,
      1_000_000_000,
    ),
    heartbeatMs: integerFlag("heartbeat-ms", values["heartbeat-ms"], 1, 60_000),
    forwardTimeoutMs: integerFlag("forward-timeout-ms", values["forward-timeout-ms"], 1, 600_000),
    replicationTimeoutMs: integerFlag("replication-timeout-ms", values["replication-timeout-ms"], 1, 600_000),
    maxLogBytes: integerFlag("max-log-bytes", values["max-log-bytes"], 1024, Number.MAX_SAFE_INTEGER),
    replicationWindowEntries: integerFlag(
      "replication-window-entries",
      values["replication-window-entries"],
      1,
      10_000_000,
    ),
    exitOnStdinClose: values["exit-on-stdin-close"] ?? false,
  };
}

function integerFlag(flag: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`--${flag} must be an integer in [${min}, ${max}], not ${JSON.stringify(text)}`);
  }
  return value;
}

/** `n2=http://127.0.0.1:7002,n3=http://127.0.0.1:7003` → map; empty text → no peers. */
function parsePeers(text: string, self: string): Map<string, URL> {
  const peers = new Map<string, URL>();
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    const peer = item.slice(0, eq).trim();
    const url = item.slice(eq + 1).trim();
    if (eq <= 0 || url === "") throw new Error(`--peers: expected NAME=URL, got ${JSON.stringify(item)}`);
    if (peer === self) throw new Error(`--peers lists this node (${self}) itself`);
    if (peers.has(peer)) throw new Error(`--peers lists ${peer} twice`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--peers: ${peer} has a bad URL ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== "http:") throw new Error(`--peers: ${peer} must use http://`);
    peers.set(peer, parsed);
  }
  return peers;
}
