/**
 * The workload clients of `crucible run` over TLS, on real etcd, Redis and
 * PostgreSQL started with `tls: true`: a run of the built-in register test is
 * valid, and the very servers it ran against refuse a plaintext client (so
 * the clients cannot have talked in the clear); a client given the wrong CA
 * refuses the server, and that op is a certain `fail` (no byte of it was sent
 * before the handshake failed).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { etcdClient } from "../../src/client/etcd.js";
import { etcdRwRegisterClient } from "../../src/client/etcd-txn.js";
import { postgresClient } from "../../src/client/postgres.js";
import { postgresListAppendClient } from "../../src/client/postgres-txn.js";
import { redisClient } from "../../src/client/redis.js";
import type { Client } from "../../src/client/types.js";
import { createTestCa, etcd, postgres, redis, startServer } from "../../src/cluster/index.js";
import type { Recipe } from "../../src/cluster/recipe.js";
import type { Cluster, Node } from "../../src/cluster/types.js";
import { runTest } from "../../src/runner/run-test.js";
import { type RunOptions, resolveTest, type TestDefinition } from "../../src/runner/spec.js";
import registerTest from "../../src/tests/register.js";
import { e2eOptions, invoke, registerOp } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "crucible-tls-clients-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Target = "etcd" | "redis" | "postgres";

/** What a client that does not speak TLS gets from a TLS node: a fact about the server, in words. */
async function plaintextAnswer(target: Target, node: Node): Promise<string> {
  if (target === "etcd") {
    return new Promise((resolve) => {
      const req = request(
        { host: node.host, port: node.port, method: "POST", path: "/v3/kv/range", timeout: 5_000 },
        (response) => {
          let body = "";
          response.on("data", (chunk) => {
            body += String(chunk);
          });
          response.on("end", () => resolve(`HTTP ${response.statusCode}: ${body.trim()}`));
        },
      );
      // etcd's listener drops a connection whose first bytes are no TLS handshake, and logs why.
      req.on("error", async (error) => {
        let logged = false;
        for (let attempt = 0; attempt < 25 && !logged; attempt++) {
          logged = /first record does not look like a TLS handshake/.test(await node.logs());
          if (!logged) await new Promise((wait) => setTimeout(wait, 200));
        }
        resolve(`error: ${error.message}${logged ? "; logged: not a TLS handshake" : ""}`);
      });
      req.end("{}");
    });
  }
  if (target === "redis") {
    return new Promise((resolve) => {
      const socket = netConnect({ host: node.host, port: node.port });
      let text = "";
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(`still open after 5 s, read ${JSON.stringify(text)}`);
      }, 5_000);
      socket.on("data", (chunk) => {
        text += String(chunk);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(`closed by the server, read ${JSON.stringify(text)}`);
      });
      socket.on("error", () => {});
      socket.write("PING\r\n");
    });
  }
  const client = new pg.Client({ host: node.host, port: node.port, user: "postgres", database: "postgres" });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.end();
    return "connected in the clear";
  } catch (error) {
    return `postgres ${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

const refusedPlaintext: Record<Target, RegExp> = {
  // Go's net/http answer to plain HTTP on a TLS listener, or etcd's own hang-up, logged.
  etcd: /^HTTP 400: Client sent an HTTP request to an HTTPS server|^error: .*; logged: not a TLS handshake$/,
  redis: /^closed by the server, read ""$/,
  // 28000 invalid_authorization_specification: pg_hba.conf's `hostnossl ... reject`.
  postgres: /^postgres 28000: .*(no encryption|SSL off)/,
};

describe.each(["etcd", "redis", "postgres"] as const)("crucible run --tls --target %s", (target) => {
  it("a register run over TLS is valid, and its servers refuse plaintext", { timeout: 120_000 }, async () => {
    const answers: string[] = [];
    // The built-in register test, with a look at the servers it started: the same ones the run uses.
    const definition: TestDefinition = async (options: RunOptions) => {
      const spec = await resolveTest(registerTest, options);
      return {
        ...spec,
        cluster: async (ctx) => {
          const cluster: Cluster = await spec.cluster!(ctx);
          for (const node of cluster.nodes) answers.push(await plaintextAnswer(target, node));
          return cluster;
        },
      };
    };
    const options = e2eOptions({
      seed: 16,
      nodes: target === "postgres" ? 1 : 3,
      timeLimitMs: 2_500,
      nemesis: [],
      storeDir: join(scratch, target),
      tls: true,
      extra: { target },
    });
    const outcome = await runTest({ definition, options, writeReports: false });
    expect(outcome.results.error).toBeUndefined();
    expect(outcome.test.cluster).toMatchObject({ name: target, tls: true });
    expect(outcome.results.valid, JSON.stringify(outcome.results.checkers)).toBe(true);
    // Evidence, not an empty run: the clients wrote and read through TLS.
    const { byF } = outcome.results.stats!;
    expect(byF.write?.ok ?? 0).toBeGreaterThan(20);
    expect(byF.read?.ok ?? 0).toBeGreaterThan(20);
    expect(answers).toHaveLength(options.nodes);
    for (const answer of answers) expect(answer).toMatch(refusedPlaintext[target]);
  });
});

describe("the --tls flag", () => {
  it("crucible run --target redis --tls: exit 0, TLS recorded in test.json and in the replay command", {
    timeout: 120_000,
  }, async () => {
    const store = join(scratch, "cli");
    const result = await execa(
      process.execPath,
      [
        "--import",
        "tsx",
        "test/cli/fixtures/crucible.ts",
        "run",
        "--target",
        "redis",
        "--tls",
        "--nemesis",
        "none",
        "--time-limit",
        "2",
        "--store",
        store,
        "--seed",
        "5",
      ],
      { reject: false, timeout: 110_000, env: { CI: "1", NO_COLOR: "1" } },
    );
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    const test = JSON.parse(readFileSync(join(store, "redis-register", "latest", "test.json"), "utf8")) as {
      cluster: { name: string; tls?: boolean };
      reproduce: string;
    };
    expect(test.cluster).toMatchObject({ name: "redis", tls: true });
    expect(test.reproduce).toContain("--tls");
  });
});

/** `node` as a client would see it if the cluster's CA were another one. */
function withCa(node: Node, caFile: string): Node {
  const tls = node.meta.tls as Record<string, unknown>;
  return Object.create(node, { meta: { value: { ...node.meta, tls: { ...tls, caFile } } } }) as Node;
}

describe("a client that cannot verify the server", () => {
  const cases: { target: Target; recipe: () => Recipe; clients: () => Client[] }[] = [
    { target: "etcd", recipe: () => etcd(), clients: () => [etcdClient(), etcdRwRegisterClient()] },
    { target: "redis", recipe: () => redis(), clients: () => [redisClient()] },
    {
      target: "postgres",
      recipe: () => postgres(),
      clients: () => [postgresClient(), postgresListAppendClient()],
    },
  ];
  it.each(cases)(
    "$target: the handshake fails and the op is a certain fail",
    { timeout: 90_000 },
    async ({ target, recipe, clients }) => {
      const otherCa = await createTestCa(join(scratch, `other-ca-${target}`));
      await using server = await startServer(recipe(), { log: () => {}, tls: true, seed: 3 });
      const node = server.cluster.nodes[0]!;
      const context = (of: Node) => ({
        cluster: undefined,
        node: of,
        worker: 0,
        signal: AbortSignal.timeout(10_000),
      });
      for (const client of clients()) {
        const txn = client.name === "etcd-rw-register" || client.name.includes("list-append");
        const op = txn
          ? { ...registerOp("write", 1, 1), f: "txn", value: [["r", 1, null]] }
          : registerOp("write", 1, 1);
        const connection = await client.open(context(withCa(node, otherCa.caFile)));
        try {
          const completion = await invoke(connection, op, 10_000);
          expect(completion.type, `${client.name}: ${JSON.stringify(completion)}`).toBe("fail");
          expect(completion.error).toMatch(/certificate|self.signed|verify/i);
        } finally {
          await connection.close();
        }
        // The right CA works on the same server: the failure above was the CA, nothing else.
        if (client.setup) await client.setup(context(node));
        const honest = await client.open(context(node));
        try {
          const completion = await invoke(honest, op, 10_000);
          expect(completion.type, `${client.name}: ${JSON.stringify(completion)}`).toBe("ok");
        } finally {
          await honest.close();
        }
      }
    },
  );
});
