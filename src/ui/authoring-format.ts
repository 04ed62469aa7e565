import type { ExerciseReport } from "../verify/authoring.js";
import { style } from "./style.js";

const INDENT = "       ";
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

/**
 * `dev check`'s lines for one exercise: a verdict line with its counts, every run and problem when something is
 * wrong, and (detailed) the table of rules: which tests check each and which wrong solution proves it.
 */
export function formatExerciseReport(entry: ExerciseReport, detailed: boolean): string[] {
  const { coverage } = entry;
  const counts = coverage
    ? style.dim(`  ${plural(coverage.rules.length, "rule")}, ${plural(coverage.tests.length, "test")}, ${plural(coverage.wrong.length, "wrong solution")}`)
    : "";
  const lines = [`${entry.ok ? style.green("ok  ") : style.red("FAIL")} ${entry.exercise}${counts}`];
  for (const result of entry.results) if (!result.ok || !entry.ok) lines.push(`${INDENT}${result.ok ? "" : style.red("✗ ")}${result.summary}`);
  if (!coverage) {
    lines.push(`${INDENT}${style.dim("rule coverage is judged once the solution passes")}`);
    return lines;
  }
  for (const problem of coverage.problems) lines.push(`${INDENT}${style.red("✗ ")}${problem}`);
  if (!detailed) return lines;
  for (const rule of coverage.rules) {
    const proof = rule.provenBy.length ? `proven by ${rule.provenBy.map((id) => `wrong/${id}`).join(", ")}` : style.red("proven by no wrong solution");
    lines.push(`${INDENT}rule ${style.bold(rule.id)}: ${plural(rule.tests.length, "test")}, ${proof}`);
  }
  for (const wrong of coverage.wrong) {
    lines.push(`${INDENT}${style.dim(`wrong/${wrong.id} breaks [${wrong.rules.join(", ")}] and fails ${plural(wrong.failing.length, "test")}`)}`);
  }
  for (const pass of coverage.starterPasses.filter((p) => p.allowed)) lines.push(`${INDENT}${style.dim(`${pass.test} passes on the starter (starter_passes)`)}`);
  return lines;
}
