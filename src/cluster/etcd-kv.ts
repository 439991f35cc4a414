/**
 * A small etcd key-value client for tests (what `startServer(etcd()).client()`
 * gives): put, get, delete and prefix range over etcd's HTTP/JSON gateway,
 * with TLS when the server has it. Keys and values are strings. It is not the
 * workload client (`etcdClient` turns ops into completions with their
 * failure semantics); it is for a test's own setup and assertions.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { postJsonText } from "./http.js";
import type { NodeTls } from "./tls.js";
import type { Node } from "./types.js";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined): string => Buffer.from(text ?? "", "base64").toString("utf8");

/** The bytes after the last byte of every key starting with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = end[i]! + 1;
      return end.toString("base64");
    }
  }
  return Buffer.from([0]).toString("base64");
}

export interface EtcdKvOptions {
  /** The member's client URL (`http://` or `https://`). */
  readonly url: string;
  /** PEM of the CA for an `https://` URL. */
  readonly ca?: string | Buffer;
  /** Per-request timeout; default 5,000 ms. */
  readonly timeoutMs?: number;
}

export class EtcdKv {
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;

  constructor(private readonly options: EtcdKvOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.agent = options.url.startsWith("https:")
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 1,
          ...(options.ca !== undefined && { ca: options.ca }),
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** A client of `node` (its URL, and its CA when it runs with TLS). */
  static of(node: Node): EtcdKv {
    const tls = node.meta.tls as NodeTls | undefined;
    return new EtcdKv({ url: node.url, ...(tls && { ca: readFileSync(tls.caFile) }) });
  }

  private async call(path: string, body: unknown): Promise<Record<string, unknown>> {
    const { status, text } = await postJsonText(`${this.options.url}${path}`, JSON.stringify(body), {
      signal: AbortSignal.timeout(this.timeoutMs),
      agent: this.agent,
      ...(this.options.ca !== undefined && { ca: this.options.ca }),
    });
    if (status !== 200) throw new Error(`etcd ${path}: HTTP ${status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as Record<string, unknown>;
  }

  async put(key: string, value: string): Promise<void> {
    await this.call("/v3/kv/put", { key: b64(key), value: b64(value) });
  }

  /** The key's value, or undefined when it does not exist (a linearizable read). */
  async get(key: string): Promise<string | undefined> {
    const answer = await this.call("/v3/kv/range", { key: b64(key) });
    const kvs = answer.kvs as Array<{ value?: string }> | undefined;
    return kvs?.[0] === undefined ? undefined : unb64(kvs[0].value);
  }

  /** Every key starting with `prefix` and its value, in key order. */
  async range(prefix: string): Promise<Array<{ key: string; value: string }>> {
    return (await this.rangeAt(prefix)).entries;
  }

  /**
   * Every key starting with `prefix`, and the revision the member answered
   * at. `serializable`: the member answers from its own state without a
   * quorum (a lagging follower shows what it has), instead of a linearizable read.
   */
  async rangeAt(
    prefix: string,
    options: { readonly serializable?: boolean } = {},
  ): Promise<{ revision: string; entries: Array<{ key: string; value: string }> }> {
    const answer = await this.call("/v3/kv/range", {
      key: b64(prefix),
      range_end: prefixEnd(prefix),
      ...(options.serializable && { serializable: true }),
    });
    const kvs = (answer.kvs as Array<{ key?: string; value?: string }> | undefined) ?? [];
    const revision = (answer.header as { revision?: unknown } | undefined)?.revision;
    return {
      revision: typeof revision === "string" ? revision : "0",
      entries: kvs.map((kv) => ({ key: unb64(kv.key), value: unb64(kv.value) })),
    };
  }

  /** Delete the key; resolves with how many keys were deleted (0 or 1). */
  async delete(key: string): Promise<number> {
    const answer = await this.call("/v3/kv/deleterange", { key: b64(key) });
    return Number(answer.deleted ?? 0);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
