import { defineConfig } from "vitest/config";

// Only the fixture: the suite's own config excludes *.fixture.ts.
export default defineConfig({ test: { include: ["test/cluster/log-scope/*.fixture.ts"] } });
