/**
 * `crucible serve [--store DIR] [--port N] [--host ADDR]`: browse stored runs
 * in a web browser. Binds 127.0.0.1 unless told otherwise, prints its URL,
 * and runs until Ctrl-C (SIGINT) or SIGTERM.
 */
import type { Command } from "commander";
import { describeError, UsageError } from "../errors/index.js";
import { startReportServer } from "../report/server.js";

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port: expected an integer 0..65535 (0 = any free port), got "${text}"`);
  }
  return port;
}

export function registerServeCommand(program: Command): Command {
  return program
    .command("serve")
    .description("serve a page listing stored runs, with links to their reports and raw files")
    .option("--store <dir>", "the store folder", "store")
    .option("--port <n>", "TCP port (0 = any free port)", parsePort, 8080)
    .option("--host <addr>", "address to bind; the default keeps it on this machine", "127.0.0.1")
    .action(async (options: { store: string; port: number; host: string }) => {
      const server = await startReportServer({
        storeDir: options.store,
        port: options.port,
        host: options.host,
      }).catch((error: unknown) => {
        throw listenError(error, options);
      });
      process.stdout.write(`serving ${options.store} at ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await server.close();
    });
}

/**
 * A server that cannot listen, in one line naming what to change: a port in
 * use or not ours to take, a host that is no address of this machine. Exit 64:
 * the flags chose something that cannot work here.
 */
export function listenError(error: unknown, options: { port: number; host: string }): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const cause = describeError(error);
  if (code === "EADDRINUSE")
    return new UsageError(
      `--port ${options.port}: already in use on ${options.host} (${cause}); pick another, or 0 for any free port`,
    );
  if (code === "EACCES")
    return new UsageError(
      `--port ${options.port}: not allowed to listen on it (${cause}); ports below 1024 need root`,
    );
  if (code === "ENOTFOUND" || code === "EADDRNOTAVAIL" || code === "EAI_AGAIN" || code === "EINVAL")
    return new UsageError(`--host ${options.host}: not an address of this machine to listen on (${cause})`);
  return error;
}
