import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");

describe("the parallel checker from compiled JS (dist/)", () => {
  it("starts its workers from worker.js and leaves none behind", () => {
    const out = mkdtempSync(join(tmpdir(), "crucible-lin-dist-"));
    try {
      // Compile only what the checker needs, into a temp dir laid out like dist/.
      execFileSync(
        process.execPath,
        [
          join(root, "node_modules/typescript/bin/tsc"),
          ...[
            "--outDir",
            out,
            "--rootDir",
            join(root, "src"),
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
          ],
          ...["--target", "es2023", "--lib", "ES2023,ESNext.Disposable", "--skipLibCheck", "--strict"],
          join(root, "src/checker/linearizable/index.ts"),
          join(root, "src/checker/linearizable/worker.ts"),
          join(root, "src/checker/linearizable/generate.ts"),
          join(root, "src/random/random.ts"),
        ],
        { stdio: "pipe", timeout: 120_000 },
      );
      writeFileSync(join(out, "package.json"), '{"type":"module"}');
      symlinkSync(join(root, "node_modules"), join(out, "node_modules"));
      const script = `
        import { checkLinearizable, checkLinearizableParallel, liveLinearizabilityWorkers } from "./checker/linearizable/index.js";
        import { generateRegisterHistory, injectFault } from "./checker/linearizable/generate.js";
        import { models } from "./checker/models/index.js";
        import { Random } from "./random/random.js";
        const random = new Random(11);
        const injected = injectFault(generateRegisterHistory({ random, ops: 3000, keys: 3, concurrency: 6 }), "stale-read", random);
        const options = { fastPath: false, minOpsForWorkers: 0, minPartitionOpsForWorkers: 1, maxWorkers: 2 };
        const parallel = await checkLinearizableParallel(injected.history, models.kv, options);
        const sequential = checkLinearizable(injected.history, models.kv, { fastPath: false });
        console.log(JSON.stringify({ workers: parallel.stats.workers, live: liveLinearizabilityWorkers(),
          same: JSON.stringify(parallel.counterexample) === JSON.stringify(sequential.counterexample), valid: parallel.valid }));
      `;
      writeFileSync(join(out, "run.mjs"), script);
      const printed = execFileSync(process.execPath, [join(out, "run.mjs")], {
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(JSON.parse(printed.trim())).toEqual({ workers: 2, live: 0, same: true, valid: false });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
