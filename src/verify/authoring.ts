import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Exercise } from "../content/model.js";
import { RULES_PLACEHOLDER } from "../content/readme.js";
import type { CollectedTests } from "../content/tests-lock.js";
import { judgeCoverage, type Coverage } from "./coverage.js";
import type { ExerciseVerdict } from "./verify.js";
import { wrongPatchFile } from "./wrong-solutions.js";

/**
 * One run `dev check` makes: a variant of an exercise and whether its verifier must pass or fail it. A wrong
 * solution has no folder of its own (`dir` is undefined): it is made from the solution and its patch.
 */
export interface Expectation {
  exercise: Exercise;
  variant: string;
  dir?: string;
  wrongId?: string;
  mustPass: boolean;
}

export function expectationsFor(exercise: Exercise): Expectation[] {
  return [
    { exercise, variant: "solution", dir: join(exercise.dir, "solution"), mustPass: true },
    { exercise, variant: "starter", dir: join(exercise.dir, "starter"), mustPass: false },
    ...exercise.wrong.map((wrong) => ({ exercise, variant: `wrong/${wrong.id}`, wrongId: wrong.id, mustPass: false })),
  ];
}

export interface Judgement {
  ok: boolean;
  summary: string;
}

export function judge(expectation: Expectation, verdict: ExerciseVerdict): Judgement {
  const failing = verdict.tests.filter((t) => t.outcome === "failed" || t.outcome === "error");
  const counts = `${verdict.tests.length - failing.length}/${verdict.tests.length} checks pass`;
  if (verdict.status === "timeout") return { ok: false, summary: `${expectation.variant} timed out` };
  if (verdict.status === "tampered") return { ok: false, summary: `${expectation.variant} was judged tampered: ${verdict.reason}` };
  if (verdict.status === "skipped") {
    const reason = verdict.tests.find((t) => t.outcome === "skipped")?.message ?? "skipped";
    return { ok: false, summary: `${expectation.variant} was not verified (${reason})` };
  }
  if (expectation.mustPass) {
    if (verdict.status === "passed") return { ok: true, summary: `${expectation.variant} passes (${counts})` };
    const first = failing[0];
    return { ok: false, summary: `${expectation.variant} must pass but ${counts}; first: ${first?.name}: ${(first?.message ?? "").split("\n")[0]}` };
  }
  if (verdict.status === "failed") return { ok: true, summary: `${expectation.variant} fails (${counts})` };
  return { ok: false, summary: `${expectation.variant} must fail, but every check passes: the verifier does not catch it` };
}

export interface Run {
  expectation: Expectation;
  verdict: ExerciseVerdict;
  judgement: Judgement;
}

export interface ExerciseReport {
  exercise: string;
  ok: boolean;
  results: Judgement[];
  /** Rule coverage; judged once the solution passes. */
  coverage?: Coverage;
}

/** An exercise's runs judged together: each run's expectation, then the rules' coverage. */
export function exerciseReport(exercise: Exercise, runs: Run[], lock: CollectedTests | undefined): ExerciseReport {
  const results = runs.map((run) => run.judgement);
  const verified = (run: Run | undefined) => (run && (run.verdict.status === "passed" || run.verdict.status === "failed") ? run.verdict.tests : undefined);
  const solution = runs.find((run) => run.expectation.mustPass);
  if (solution?.verdict.status !== "passed") return { exercise: exercise.id, ok: false, results };
  const coverage = judgeCoverage({
    exercise,
    solution: solution.verdict.tests,
    starter: verified(runs.find((run) => run.expectation.variant === "starter")),
    wrong: Object.fromEntries(exercise.wrong.map((wrong) => [wrong.id, verified(runs.find((run) => run.expectation.wrongId === wrong.id))])),
    lock,
  });
  return { exercise: exercise.id, ok: results.every((r) => r.ok) && coverage.problems.length === 0, results, coverage };
}

/** Problems visible without running anything: missing folders and tests, and module names two exercises share. */
export function staticProblems(exercises: Exercise[]): string[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const exercise of exercises) {
    const where = `exercises/${exercise.stageId}/${exercise.id}`;
    if (exercise.hints.length === 0) problems.push(`${where}: has no hints`);
    for (const dir of ["solution", "tests"]) {
      if (!existsSync(join(exercise.dir, dir))) problems.push(`${where}: has no ${dir}/ folder`);
    }
    for (const wrong of exercise.wrong) {
      if (!existsSync(wrongPatchFile(exercise, wrong.id))) problems.push(`${where}: wrong/${wrong.id}.diff is listed but missing`);
    }
    if (exercise.prompt.split("\n").filter((line) => line.trim() === RULES_PLACEHOLDER).length > 1) {
      problems.push(`${where}: README.md has more than one ${RULES_PLACEHOLDER} line`);
    }
    const tests = existsSync(join(exercise.dir, "tests")) ? readdirSync(join(exercise.dir, "tests")) : [];
    if (!tests.some((name) => /^test_.*\.py$/.test(name))) problems.push(`${where}: tests/ has no test_*.py`);
    for (const name of tests) {
      if (name === "conftest.py" || name === "__init__.py") problems.push(`${where}: tests/${name} is not allowed (verifiers run side by side)`);
    }
    const modules = new Set([...exercise.files, ...tests].filter((name) => name.endsWith(".py") && !name.includes("/")));
    for (const module of modules) {
      const other = owners.get(module);
      if (other && other !== exercise.id) problems.push(`${where}: module ${module} is also used by ${other}; module names must be unique`);
      owners.set(module, exercise.id);
    }
  }
  return problems;
}
