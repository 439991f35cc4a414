/** Pure pieces: the RESP parser, 64-bit id extraction, the missing-package message, the setup script fast path. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { parseInfo, RespError } from "../../src/cluster/index.js";
import { rawJsonInteger } from "../../src/cluster/recipes/etcd.js";
import { parseReply } from "../../src/cluster/resp.js";

const parse = (text: string) => parseReply(Buffer.from(text));

test("parses every RESP2 reply type, and says 'incomplete' for a partial one", () => {
  expect(parse("+OK\r\n")).toEqual({ value: "OK", next: 5 });
  expect(parse("-ERR bad\r\n")?.value).toEqual(new RespError("ERR bad"));
  expect(parse(":42\r\n")?.value).toBe(42);
  expect(parse("$5\r\nhe\r\no\r\n")?.value).toBe("he\r\no");
  expect(parse("$-1\r\n")?.value).toBeNull();
  expect(parse("*2\r\n$1\r\na\r\n*1\r\n:1\r\n")?.value).toEqual(["a", [1]]);
  expect(parse("*2\r\n$1\r\na\r\n")).toBeUndefined();
  expect(parse("$5\r\nhel")).toBeUndefined();
  expect(parse("+OK")).toBeUndefined();
  expect(() => parse("?x\r\n")).toThrow(/unexpected reply type/);
});

test("INFO fields and 64-bit etcd ids are read as text", () => {
  const info = parseInfo("# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n");
  expect(info.get("master_link_status")).toBe("up");
  expect(info.get("role")).toBe("slave");
  // JSON.parse would round 13803658152347727308 to 13803658152347728000.
  expect(rawJsonInteger('{"header":{"member_id":13803658152347727308}}', "member_id")).toBe(
    "13803658152347727308",
  );
  expect(rawJsonInteger('{"leader":"11"}', "leader")).toBe("11");
});

test("setup-test-env: with everything installed it says so and exits 0", () => {
  const script = fileURLToPath(new URL("../../scripts/setup-test-env.mjs", import.meta.url));
  const output = execFileSync(process.execPath, [script], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  expect(output).toMatch(/all present|missing Debian packages|installed/);
});

test("a missing system names the Debian package to install", async () => {
  const { MissingDependencyError, requireExecutable } = await import("../../src/cluster/index.js");
  expect(() => requireExecutable("crucible-no-such-server", "etcd-server")).toThrow(MissingDependencyError);
  expect(() => requireExecutable("crucible-no-such-server", "etcd-server")).toThrow(
    /apt-get install -y etcd-server/,
  );
});
