// `npm test`: every suite in order, stopping at the first that fails, then a table of how long each took, so the
// CI budget (20 minutes for all of .ci/run) stays visible as exercises are added.
import { spawnSync } from "node:child_process";

const suites = [
  ["typecheck", ["npx", "tsc", "--noEmit"]],
  ["build", ["node", "scripts/build.mjs"]],
  ["unit and e2e tests", ["npx", "vitest", "run", "test/unit", "test/e2e"]],
  // Every exercise's verifier on every Python stack (dev check, dev mutate): most of CI's budget.
  ["curriculum (verifiers)", ["npx", "vitest", "run", "test/curriculum"]],
  ["fault suite", ["npx", "vitest", "run", "--config", "vitest.faults.config.ts"]],
];

const timings = [];
let failed;
for (const [name, [command, ...args]] of suites) {
  const started = performance.now();
  const { status, signal } = spawnSync(command, args, { stdio: "inherit" });
  timings.push([name, (performance.now() - started) / 1000]);
  if (status !== 0) {
    failed = `${name} failed (${signal ?? `exit ${status}`})`;
    break;
  }
}
console.log("\nnpm test phases (seconds):");
for (const [name, seconds] of timings) console.log(`  ${name.padEnd(32)} ${seconds.toFixed(0).padStart(5)}`);
console.log(`  ${"total".padEnd(32)} ${timings.reduce((sum, [, s]) => sum + s, 0).toFixed(0).padStart(5)}`);
if (failed) {
  console.error(failed);
  process.exit(1);
}
