// The record of the tests a correct solution runs, one file per exercise: `tests.lock.json`, written by
// `roadmap dev check --update-lock` and compared by every `dev check` on every Python stack. It maps each pytest
// node id (relative to the exercise folder) to the rules that test checks, so a verdict can expect exactly these.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { Exercise } from "./model.js";

export const TESTS_LOCK_FILE = "tests.lock.json";

/** Node id (`test_x.py::test_y[param]`) → the rule ids that test checks. */
export type CollectedTests = Record<string, string[]>;

export function testsLockPath(exercise: Pick<Exercise, "dir">): string {
  return join(exercise.dir, TESTS_LOCK_FILE);
}

/** The recorded tests of an exercise, or undefined when it has no lock file yet. */
export function readTestsLock(exercise: Pick<Exercise, "dir">): CollectedTests | undefined {
  const file = testsLockPath(exercise);
  if (!existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, 2, "Rewrite it with: roadmap dev check <exercise> --update-lock");
  }
  const tests = (data as { tests?: unknown } | null)?.tests;
  const valid =
    typeof tests === "object" && tests !== null && Object.values(tests).every((rules) => Array.isArray(rules) && rules.every((r) => typeof r === "string"));
  if (!valid) throw new UserError(`${file}: expected {"tests": {"<node id>": ["<rule id>", ...]}}`, 2, "Rewrite it with: roadmap dev check <exercise> --update-lock");
  return tests as CollectedTests;
}

export function writeTestsLock(exercise: Pick<Exercise, "dir">, tests: CollectedTests): void {
  writeFileSync(testsLockPath(exercise), testsLockText(tests));
}

/** The lock file's text: node ids and rules sorted, so a regenerated file differs only where the tests did. */
export function testsLockText(tests: CollectedTests): string {
  const sorted = Object.fromEntries(
    Object.keys(tests)
      .sort()
      .map((id) => [id, [...new Set(tests[id])].sort()]),
  );
  return `${JSON.stringify({ tests: sorted }, null, 2)}\n`;
}

/** How collected tests differ from the record: one line per test added, gone, or with other rules. */
export function lockDifferences(recorded: CollectedTests, collected: CollectedTests): string[] {
  const same = (a: string[], b: string[]) => [...new Set(a)].sort().join(" ") === [...new Set(b)].sort().join(" ");
  const ids = [...new Set([...Object.keys(recorded), ...Object.keys(collected)])].sort();
  return ids.flatMap((id) => {
    const before = recorded[id];
    const now = collected[id];
    if (!before) return [`${id} is collected but not recorded`];
    if (!now) return [`${id} is recorded but not collected`];
    return same(before, now) ? [] : [`${id} checks [${now.join(", ")}] but the record says [${before.join(", ")}]`];
  });
}
