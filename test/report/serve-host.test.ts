import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startReportServer } from "../../src/report/server.js";

function statusWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

it("crucible serve refuses a request for another host name (DNS rebinding)", async () => {
  await using server = await startReportServer({
    storeDir: mkdtempSync(join(tmpdir(), "crucible-serve-")),
    port: 0,
  });
  expect(await statusWithHost(server.port, `127.0.0.1:${server.port}`)).toBe(200);
  expect(await statusWithHost(server.port, `localhost:${server.port}`)).toBe(200);
  expect(await statusWithHost(server.port, `attacker.example:${server.port}`)).toBe(403);
});
