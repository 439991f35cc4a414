/** Real Redis (Debian redis-server): a primary and a replica that replicates. */
import { expect, test } from "vitest";
import {
  REDIS_VARIANTS,
  RespConnection,
  RespError,
  redis,
  respCommand,
  startCluster,
} from "../../src/cluster/index.js";

test("primary + replica: SET + WAIT 1 on the primary, GET on the replica", async () => {
  await using cluster = await startCluster(redis(), 2, { seed: 7, log: () => {} });
  const [primary, replica] = cluster.nodes;
  expect(primary!.meta.role).toBe("primary");
  expect(replica!.meta.replicaOf).toBe(primary!.address);
  expect(await cluster.leader!()).toBe(primary);
  expect(REDIS_VARIANTS.map((variant) => variant.name)).toContain(cluster.variant);

  const connection = await RespConnection.connect({ host: primary!.host, port: primary!.port });
  try {
    expect(await connection.command(["SET", "greeting", "hello"])).toBe("OK");
    // WAIT answers how many replicas acknowledged the writes of this connection.
    expect(await connection.command(["WAIT", 1, 5_000])).toBe(1);
  } finally {
    connection.close();
  }
  expect(await respCommand({ host: replica!.host, port: replica!.port, args: ["GET", "greeting"] })).toBe(
    "hello",
  );
  const refused = await respCommand({ host: replica!.host, port: replica!.port, args: ["SET", "x", "1"] });
  expect(refused).toBeInstanceOf(RespError);
  expect((refused as RespError).message).toMatch(/READONLY/);

  // Whatever Redis writes (RDB for a disk sync, AOF by variant) goes to the node's temp data dir.
  for (const node of cluster.nodes) {
    expect(await respCommand({ host: node.host, port: node.port, args: ["CONFIG", "GET", "dir"] })).toEqual([
      "dir",
      node.dataDir,
    ]);
  }
});
