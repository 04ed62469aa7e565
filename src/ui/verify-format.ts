import type { Exercise } from "../content/model.js";
import { inWorkspace, type TestResult } from "../verify/results.js";
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
      const seen: Seen = { rules: new Set(), failures: new Set() };
      for (const test of failing) {
        // The rule ids match the README's list of rules, so the learner can tell which promise is broken.
        const rules = test.rules?.length ? style.dim(` (rule ${test.rules.join(", ")})`) : "";
        lines.push(`  ${mark.failed()} ${test.name}${rules}`);
        lines.push(...formatFailure(inWorkspace(test, exercise.stageId), exercise, seen).map((line) => `      ${line}`));
      }
      return lines;
    }
  }
}

const MESSAGE_LINES = 8;

/** What earlier failures of one verdict already showed: a rule's text, a failure's source line and frames. */
export interface Seen {
  rules: Set<string>;
  failures: Set<string>;
}

/**
 * One failing check, read like a compiler's error: `file:line: message`, the source line with a caret under what
 * failed, the learner's own frames; for a verifier's own assert (no learner frame), expected vs actual and the
 * rule it checks. Paths must already be workspace-relative (inWorkspace). Given `seen`, what an earlier failure of the
 * same verdict showed is not repeated: the same error at the same place shows only its first line, a rule's text
 * shows once.
 */
export function formatFailure(test: TestResult, exercise: Pick<Exercise, "rules">, seen?: Seen): string[] {
  const message = (test.message ?? "").split("\n").slice(0, MESSAGE_LINES);
  const lines: string[] = [];
  if (test.location) {
    const at = `${test.location.file}:${test.location.line}`;
    const first = `${style.bold(at)}: ${message[0] || test.exception || "failed here"}`;
    const key = `${at}\n${test.message ?? ""}`;
    if (seen?.failures.has(key)) return [`${first} ${style.dim("(as above)")}`];
    seen?.failures.add(key);
    lines.push(first, ...message.slice(1).map((line) => style.dim(line)));
  } else {
    lines.push(...message.filter((line, i) => line || i > 0).map((line) => style.dim(line)));
  }
  if (test.source) {
    lines.push(`    ${test.source}`);
    if (test.caret) lines.push(`    ${style.red(test.caret)}`);
  }
  const frames = test.traceback ?? [];
  if (frames.length > 1) {
    lines.push(style.dim("your code, most recent call last:"));
    for (const frame of frames) lines.push(style.dim(`  ${frame.file}:${frame.line} in ${frame.function}${frame.source ? `: ${frame.source}` : ""}`));
  }
  if (test.expected !== undefined && test.actual !== undefined) {
    lines.push(`expected: ${test.expected}`, `actual:   ${test.actual}`);
  }
  if (test.origin === "verifier") {
    // No line of the learner's to point at: the promise the check holds them to is what they can act on.
    for (const id of test.rules) {
      if (seen?.rules.has(id)) continue;
      seen?.rules.add(id);
      const rule = exercise.rules.find((r) => r.id === id);
      if (rule) lines.push(`${style.yellow(`rule ${id}:`)} ${rule.text}`);
    }
  }
  return lines;
}
