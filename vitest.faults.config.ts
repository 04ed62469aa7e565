// `npm run test:faults`: the fault-injection suite (test/faults/*.faults.ts). Files run one at a time, so the
// timing bounds some of them state (1 s to refuse without a terminal) do not compete with 40-process storms.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/faults/**/*.faults.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
