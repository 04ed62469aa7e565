import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // vitest's default is one worker fewer than the CPUs: a single one on CI's two cores. The end-to-end tests
    // mostly wait on the processes they start (npm, pip, pytest, the CLI), so one worker per CPU halves the
    // unit and e2e phase there (338 s -> 194 s measured on two cores) without crowding the CPU.
    maxWorkers: availableParallelism(),
  },
});
