import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTestsLock, writeTestsLock } from "../content/tests-lock.js";
import { ExitCode, ExitError } from "../errors.js";
import { packageRoot } from "../package-info.js";
import { formatExerciseReport } from "../ui/authoring-format.js";
import { print, style } from "../ui/style.js";
import { exerciseReport, expectationsFor, judge, staticProblems, type Expectation, type Run } from "../verify/authoring.js";
import { runBatches } from "../verify/batches.js";
import { collectedTests } from "../verify/coverage.js";
import { materializeWrongSolution } from "../verify/wrong-solutions.js";
import { startAuthoringRun, type AuthoringOptions } from "./authoring-run.js";

export interface DevCheckOptions extends AuthoringOptions {
  /** Record the solution's collected tests and their rules in each exercise's tests.lock.json. */
  updateLock?: boolean;
}

const BATCH_TIMEOUT_MS = 300_000;
const SINGLE_TIMEOUT_MS = 60_000;

/**
 * The authoring check: content is valid, and for every exercise the solution passes, the starter fails and every
 * known-wrong solution fails; then every rule is covered (see verify/coverage.ts) and the solution's tests match
 * tests.lock.json. Runs are batched (one pytest process per batch) and batches run in parallel.
 */
export async function devCheck(exerciseIds: string[], options: DevCheckOptions): Promise<void> {
  const { roadmap, exercises, python, jobs, forks } = await startAuthoringRun(exerciseIds, options);

  const problems = staticProblems([...roadmap.exercises.values()]);
  const expectations = exercises.flatMap(expectationsFor);
  // One pytest process per run. Batching the exercises' runs into one process measured 1.6x slower over the
  // bundled curriculum (7m36s against 4m43s on two cores): a long session of many frameworks' tests costs more
  // than the interpreter start-ups it saves.
  const groups = expectations.map((expectation) => [expectation]);
  if (!options.json) print(style.dim(`Verifying ${exercises.length} exercises (${expectations.length} runs, ${jobs} at a time) with ${python}`));

  // Wrong solutions are made from the reference solution and their patch, in a folder removed afterwards.
  const made = mkdtempSync(join(tmpdir(), "roadmap-wrong-"));
  let verdicts: Awaited<ReturnType<typeof runBatches>>;
  try {
    const sourceDir = (e: Expectation) => {
      if (e.dir) return e.dir;
      const target = join(made, e.exercise.id, e.wrongId!);
      materializeWrongSolution(e.exercise, e.wrongId!, target);
      return target;
    };
    verdicts = await runBatches(
      groups.map((group) => group.map((e) => ({ exercise: e.exercise, sourceDir: sourceDir(e) }))),
      { python, pluginDir: join(packageRoot, "python"), timeoutMs: BATCH_TIMEOUT_MS, singleTimeoutMs: SINGLE_TIMEOUT_MS, parallel: jobs, runner: forks },
    );
  } finally {
    forks?.close();
    rmSync(made, { recursive: true, force: true });
  }
  const runs = new Map<Expectation, Run>();
  groups.forEach((group, g) =>
    group.forEach((expectation, i) => {
      const verdict = verdicts[g]![i]!;
      runs.set(expectation, { expectation, verdict, judgement: judge(expectation, verdict) });
    }),
  );

  const report = exercises.map((exercise) => {
    const own = expectations.filter((e) => e.exercise === exercise).map((e) => runs.get(e)!);
    const solution = own.find((run) => run.expectation.mustPass)!;
    if (options.updateLock && solution.verdict.status === "passed") writeTestsLock(exercise, collectedTests(solution.verdict.tests));
    return exerciseReport(exercise, own, readTestsLock(exercise));
  });
  const failed = report.filter((r) => !r.ok).length + problems.length;
  if (options.json) {
    print(JSON.stringify({ python, ok: failed === 0, problems, exercises: report }, null, 2));
  } else {
    for (const problem of problems) print(`${style.red("FAIL")} ${problem}`);
    const detailed = exerciseIds.length > 0;
    for (const entry of report) for (const line of formatExerciseReport(entry, detailed || !entry.ok)) print(line);
    print(failed === 0 ? style.green(`All ${report.length} exercises verified.`) : style.red(`${failed} problem(s).`));
  }
  if (failed) throw new ExitError(ExitCode.failed);
}
