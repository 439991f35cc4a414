/**
 * TLS for the workload clients: a node started with TLS on (`{ tls: true }`,
 * `crucible run --tls`) carries its files in `node.meta.tls`, and a client
 * of it verifies the server against that CA. No option to forget: a client
 * of a TLS node speaks TLS, a client of a plain node does not, because the
 * server refuses the other (etcd answers plain HTTP with a 400, Redis has no
 * plain port, PostgreSQL's pg_hba rejects non-SSL connections).
 */
import { readFileSync } from "node:fs";
import type { Node } from "../../cluster/types.js";

/** The CA certificate (PEM) `node` is verified against, when it runs with TLS on; undefined otherwise. */
export function nodeCa(node: Node): Buffer | undefined {
  const tls = node.meta.tls as { readonly caFile?: unknown } | undefined;
  return typeof tls?.caFile === "string" ? readFileSync(tls.caFile) : undefined;
}
