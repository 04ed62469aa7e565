import type { ExerciseVerdict } from "../verify/verify.js";
import { plain, style } from "./style.js";

const mark = {
  passed: () => (plain ? "PASS" : style.green("✓")),
  failed: () => (plain ? "FAIL" : style.red("✗")),
  skipped: () => (plain ? "SKIP" : style.yellow("-")),
};

/** What a learner needs from a verifier run: which checks failed and why, in the verifier's own words. */
export function formatVerdict(verdict: ExerciseVerdict, timeoutSeconds: number): string[] {
  const { exercise, status, tests } = verdict;
  switch (status) {
    case "passed":
      return [`${mark.passed()} ${exercise.id}: all ${tests.length} checks pass`];
    case "timeout":
      return [
        `${mark.failed()} ${exercise.id}: the verifier did not finish within ${timeoutSeconds} s and was stopped, with every process it started.`,
        "  Your code may loop forever or wait for something that never comes (a lock, a socket, input).",
      ];
    case "interrupted":
      return [`${exercise.id}: interrupted; the verifier was stopped.`];
    case "tampered":
      return [
        `${mark.failed()} ${exercise.id}: the verifier was tampered with, so this run proves nothing: ${verdict.reason ?? "unknown"}.`,
        "  Code under test must not change pytest, register plugins or hooks, or exit the interpreter.",
      ];
    case "skipped": {
      const reasons = [...new Set(tests.filter((t) => t.outcome === "skipped").map((t) => t.message ?? "skipped"))];
      return [`${mark.skipped()} ${exercise.id}: not verified here: ${reasons.join("; ")}`];
    }
    case "failed": {
      const failing = tests.filter((t) => t.outcome === "failed" || t.outcome === "error");
      const lines = [`${mark.failed()} ${exercise.id}: ${failing.length} of ${tests.length} checks fail`];
      for (const test of failing) {
        // The rule ids match the README's list of rules, so the learner can tell which promise is broken.
        const rules = test.rules?.length ? style.dim(` (rule ${test.rules.join(", ")})`) : "";
        lines.push(`  ${mark.failed()} ${test.name}${rules}`);
        for (const line of (test.message ?? "").split("\n").slice(0, 8)) lines.push(`      ${style.dim(line)}`);
      }
      return lines;
    }
  }
}
