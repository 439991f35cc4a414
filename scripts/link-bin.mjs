#!/usr/bin/env node
// npm links the bins of dependencies into node_modules/.bin, but never the
// project's own. Link ours, so `npx crucible ...` on a fresh clone (after
// `npm ci`, which runs this through `prepare`) runs this checkout's CLI
// instead of looking for a package of that name in the registry.
import { chmodSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "bin", "crucible.js");
const binDir = join(root, "node_modules", ".bin");
const link = join(binDir, "crucible");

mkdirSync(binDir, { recursive: true });
try {
  lstatSync(link);
  unlinkSync(link);
} catch {}
symlinkSync(relative(binDir, target), link);
chmodSync(target, 0o755);
