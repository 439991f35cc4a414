// A test with options of its own (Jepsen's opt-spec):
//   npx crucible run examples/options-test.ts --help              lists --rate, --keys, --read-only-keys, --mode
//   npx crucible run examples/options-test.ts --rate 50 --keys 8   sets them; a bad value exits 64 naming the flag
// The values reach the definition as `options.test`, typed from the declarations, are stored in
// test.json (`testOptions`) and are part of the replay command.
// biome-ignore-all format: kept compact, like the README's example
import {
  binary, defineTest, demoClient, demoServerCommand, httpProbe, kvModel, linearizable, nemesisForRun, stagger, stats,
} from "crucible";

const server = demoServerCommand();

export default defineTest(
  (options) => {
    const { rate, keys, readOnlyKeys, mode } = options.test;
    const faults = nemesisForRun(options);
    const kv = binary({
      name: "demo-kv",
      command: server.command,
      args: (node) => [
        ...server.args, "--name", node.name, "--port", String(node.port), "--data-dir", node.dataDir,
        "--leader", "n1", "--mode", mode, "--peers", node.cluster.nodes.filter((peer) => peer !== node)
          .map((peer) => `${peer.name}=http://${peer.host}:${peer.port}`).join(","),
      ],
      ready: (node) => httpProbe({ url: `http://${node.host}:${node.port}/health` }),
    });
    return {
      name: "options-example",
      cluster: (ctx) => faults.startCluster({ ctx, recipe: () => kv }),
      client: demoClient(),
      // `rate` ops per second, all workers together: one op every 1000/rate ms on average.
      generator: stagger(1000 / rate, (ctx) => {
        const key = ctx.random.int(0, keys - 1);
        const write = !readOnlyKeys && ctx.random.int(0, 1) === 1;
        return write ? { f: "write", key, value: ctx.random.int(0, 9) } : { f: "read", key, value: null };
      }),
      nemesis: faults.nemesis,
      finalGenerator: Array.from({ length: keys }, (_, key) => ({ f: "read", key, value: null })),
      checker: [stats(), linearizable({ model: kvModel })],
    };
  },
  {
    options: {
      rate: { type: "number", default: 100, min: 0.1, max: 10_000, help: "ops per second, all workers together" },
      keys: { type: "integer", default: 5, min: 1, max: 1000, help: "keys the workload spreads over" },
      readOnlyKeys: { type: "boolean", default: false, help: "only read (no writes)" },
      mode: { type: "choice", choices: ["linearizable", "stale-reads"], default: "linearizable", help: "the demo server's mode" },
    },
  },
);
