import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { reportContentSecurityPolicy } from "../../src/report/html.js";
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

function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    req.on("error", reject);
    req.end();
  });
}

it("crucible serve runs no planted page's scripts: other HTML is text, reports carry their policy", async () => {
  const store = mkdtempSync(join(tmpdir(), "crucible-serve-"));
  mkdirSync(join(store, "t", "run1"), { recursive: true });
  writeFileSync(join(store, "t", "run1", "evil.html"), "<script>alert(1)</script>");
  writeFileSync(join(store, "t", "run1", "report.html"), "<script>alert(1)</script>");
  await using server = await startReportServer({ storeDir: store, port: 0 });
  const planted = await get(server.port, "/runs/t/run1/evil.html");
  expect(planted.status).toBe(200);
  expect(planted.headers["content-type"]).toBe("text/plain; charset=utf-8");
  const report = await get(server.port, "/runs/t/run1/report.html");
  expect(report.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(report.headers["content-security-policy"]).toBe(reportContentSecurityPolicy());
  expect(String(report.headers["content-security-policy"])).toMatch(
    /^default-src 'none'; script-src 'sha256-/,
  );
  const front = await get(server.port, "/");
  expect(front.headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'");
});
