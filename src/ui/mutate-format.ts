import type { MutationReport } from "../verify/mutate.js";
import { style } from "./style.js";

const INDENT = "       ";

/**
 * `dev mutate`'s lines for one exercise: its score, then each unexplained survivor with the `from`/`to` an
 * `equivalent_mutants` entry would need (JSON strings are valid YAML), then the listed equivalents with their reason.
 */
export function formatMutationReport(report: MutationReport): string[] {
  const score = report.score === null ? "nothing to score" : `score ${Math.round(report.score * 100)}%`;
  const counts = report.run === 0 ? "no Python to mutate" : `${report.killed}/${report.run - report.equivalent.length} killed, ${score}`;
  const extra = [
    report.equivalent.length ? `${report.equivalent.length} equivalent` : "",
    report.timedOut ? `${report.timedOut} by timeout` : "",
    report.generated > report.run ? `${report.run} of ${report.generated} mutants run` : "",
  ].filter(Boolean);
  const lines = [`${report.ok ? style.green("ok  ") : style.red("FAIL")} ${report.exercise}  ${counts}${extra.length ? style.dim(` (${extra.join(", ")})`) : ""}`];
  for (const problem of report.problems) lines.push(`${INDENT}${style.red("✗ ")}${problem}`);
  for (const mutant of report.survived) {
    lines.push(`${INDENT}${style.red("✗ survived")} ${mutant.file}:${mutant.line} (${mutant.kind})`);
    lines.push(`${INDENT}    from: ${JSON.stringify(mutant.from)}`);
    lines.push(`${INDENT}    to: ${JSON.stringify(mutant.to)}`);
  }
  for (const mutant of report.equivalent) {
    lines.push(style.dim(`${INDENT}equivalent ${mutant.file}:${mutant.line} ${mutant.from} → ${mutant.to}: ${mutant.why}`));
  }
  for (const note of report.notes) lines.push(style.dim(`${INDENT}note: ${note}`));
  return lines;
}
