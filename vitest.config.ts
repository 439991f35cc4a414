import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start real processes (etcd, Redis, PostgreSQL, the demo server); two cores are all we have.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
