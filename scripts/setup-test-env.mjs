#!/usr/bin/env node
// Make sure the Debian packages the integration tests need are installed.
//
// - Everything present: prints one line and exits 0 (fast: one dpkg-query).
// - Something missing and running as root: `apt-get update && apt-get install -y`
//   (non-interactive: works with CI=true and no stdin), then exits with apt's status.
// - Something missing and not root: prints the packages to install and exits 0;
//   the tests that need them then fail with a message naming the package.
// - No dpkg (not Debian): checks the executables and says what is missing.
import { spawnSync } from "node:child_process";

/** Package → an executable it provides (for machines without dpkg). */
const PACKAGES = {
  "etcd-server": "etcd",
  "etcd-client": "etcdctl",
  "redis-server": "redis-server",
  postgresql: "initdb",
  faketime: "faketime",
  chromium: "chromium",
  iptables: "iptables",
  nftables: "nft",
  // SSH hosts for test/hosts: each a network namespace running Debian's sshd, reached with the system ssh.
  "openssh-server": "sshd",
  "openssh-client": "ssh",
};
const names = Object.keys(PACKAGES);

function missingByDpkg() {
  // dpkg-query's own ${field} syntax, not a JS template.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format, expanded by dpkg-query.
  const format = "-f=${Package} ${db:Status-Abbrev}\\n";
  const result = spawnSync("dpkg-query", ["-W", format, ...names], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.error) return undefined; // no dpkg-query
  const installed = new Set();
  for (const line of result.stdout.split("\n")) {
    const [name, status] = line.trim().split(/\s+/);
    if (name && status?.startsWith("ii")) installed.add(name.replace(/:.*$/, ""));
  }
  return names.filter((name) => !installed.has(name));
}

function missingByCommand() {
  return names.filter((name) => {
    const result = spawnSync("sh", ["-c", `command -v ${PACKAGES[name]}`], { stdio: "ignore" });
    return result.status !== 0;
  });
}

const viaDpkg = missingByDpkg();
const missing = viaDpkg ?? missingByCommand();
if (missing.length === 0) {
  console.log(`setup-test-env: all present (${names.join(" ")})`);
  process.exit(0);
}
if (viaDpkg === undefined) {
  console.log(`setup-test-env: not a Debian system; install the equivalents of: ${missing.join(" ")}`);
  process.exit(0);
}
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot) {
  console.log(`setup-test-env: missing Debian packages: ${missing.join(" ")}`);
  console.log(`setup-test-env: install them with: sudo apt-get install -y ${missing.join(" ")}`);
  console.log("setup-test-env: until then, the tests that need them fail naming the package.");
  process.exit(0);
}
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
const apt = (args) => {
  console.log(`setup-test-env: apt-get ${args.join(" ")}`);
  const result = spawnSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env });
  if (result.error) throw result.error;
  return result.status ?? 1;
};
let status = apt(["update"]);
if (status === 0) {
  status = apt([
    "install",
    "-y",
    "--no-install-recommends",
    "-o",
    "Dpkg::Options::=--force-confold",
    ...missing,
  ]);
}
console.log(
  status === 0
    ? `setup-test-env: installed ${missing.join(" ")}`
    : `setup-test-env: apt-get failed (exit ${status})`,
);
process.exit(status);
