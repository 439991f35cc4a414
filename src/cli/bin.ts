/**
 * The `crucible` command as a module Crucible itself spawns (a lock
 * workload's `crucible demo-lock` and `crucible interval`): what
 * bin/crucible.js does, reachable from both dist/ and src/ (see
 * `crucibleCliCommand` in ../demo/launch.ts).
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
