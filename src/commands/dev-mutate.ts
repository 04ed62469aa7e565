import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { roadmapRoot, type GlobalOptions } from "../context.js";
import { loadRoadmap } from "../content/load.js";
import type { Exercise } from "../content/model.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { packageRoot } from "../package-info.js";
import { requireTrustedRoadmap } from "../trust.js";
import { formatMutationReport } from "../ui/mutate-format.js";
import { print, style } from "../ui/style.js";
import { runBatches } from "../verify/batches.js";
import { generateMutants, judgeMutants, mutantJob, mutantTimeoutMs, solutionTimes, type MutationReport } from "../verify/mutate.js";
import { findPython } from "../verify/python.js";
import type { ExerciseVerdict } from "../verify/verify.js";

export interface DevMutateOptions extends GlobalOptions {
  python?: string;
  jobs?: string;
  json?: boolean;
}

const SOLUTION_TIMEOUT_MS = 60_000;

/**
 * The mutation report: each exercise's solution, changed in one small place at a time, must fail its verifier.
 * The solutions run first, together (each must pass, and the time taken sets the mutants' timeouts); then mutant n
 * of every exercise runs in batch n, since the mutants of one exercise share module names (one pytest process per
 * batch).
 */
export async function devMutate(exerciseIds: string[], options: DevMutateOptions): Promise<void> {
  const roadmap = await loadRoadmap(roadmapRoot(options));
  for (const id of exerciseIds) if (!roadmap.exercises.has(id)) throw new UserError(`unknown exercise "${id}"`);
  await requireTrustedRoadmap(options);
  const exercises = [...roadmap.exercises.values()].filter((e) => exerciseIds.length === 0 || exerciseIds.includes(e.id));
  const python = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON }).path;
  const parallel = Math.max(1, Number(options.jobs ?? availableParallelism()));
  const pluginDir = join(packageRoot, "python");

  const work = mkdtempSync(join(tmpdir(), "roadmap-mutate-"));
  const reports: MutationReport[] = [];
  try {
    const out = join(work, "mutants");
    mkdirSync(out);
    const generated = await generateMutants(python, pluginDir, exercises, out);
    const mutantsOf = (exercise: Exercise) => generated.get(exercise.id)?.mutants ?? [];
    const mutated = exercises.filter((e) => mutantsOf(e).length > 0);
    const total = mutated.reduce((sum, e) => sum + mutantsOf(e).length, 0);
    const batchCount = Math.max(0, ...mutated.map((e) => mutantsOf(e).length));
    if (!options.json) print(style.dim(`Mutating ${exercises.length} exercises: ${total} mutants in ${batchCount} batches, ${parallel} at a time, with ${python}`));

    // The solutions in one run, as their mutants will run: each must pass, and the time taken bounds the mutants'.
    const startedAt = Date.now();
    const solutionRun = mutated.map((exercise) => ({ exercise, sourceDir: join(exercise.dir, "solution") }));
    const [solutions = []] = mutated.length
      ? await runBatches([solutionRun], { python, pluginDir, timeoutMs: SOLUTION_TIMEOUT_MS, singleTimeoutMs: SOLUTION_TIMEOUT_MS, parallel: 1 })
      : [];
    const times = solutionTimes(solutions, Date.now() - startedAt);
    const passing = mutated.filter((_, i) => solutions[i]!.status === "passed");

    const groups = Array.from({ length: batchCount }, (_, n) =>
      passing.filter((e) => mutantsOf(e).length > n).map((e) => mutantJob(e, mutantsOf(e)[n]!, n, out, join(work, "runs", e.id, String(n)))),
    ).filter((group) => group.length);
    const verdicts = await runBatches(groups, {
      python,
      pluginDir,
      timeoutMs: SOLUTION_TIMEOUT_MS,
      singleTimeoutMs: SOLUTION_TIMEOUT_MS,
      parallel,
      timeoutFor: (jobs) => mutantTimeoutMs(times, jobs.map((job) => job.exercise.id)),
    });
    if ([...solutions, ...verdicts.flat()].some((v) => v.status === "interrupted")) throw new ExitError(ExitCode.interrupted);

    for (const exercise of exercises) {
      const solution = solutions[mutated.indexOf(exercise)];
      const notRun = solution && solution.status !== "passed" ? `the solution does not pass (${describe(solution)}): no mutant was run` : undefined;
      const own = verdicts.flat().filter((v) => v.exercise === exercise);
      reports.push(judgeMutants(exercise, generated.get(exercise.id) ?? { generated: 0, mutants: [] }, own, notRun));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const failed = reports.filter((r) => !r.ok).length;
  if (options.json) {
    print(JSON.stringify({ python, ok: failed === 0, exercises: reports }, null, 2));
  } else {
    for (const report of reports) for (const line of formatMutationReport(report)) print(line);
    const killed = reports.reduce((sum, r) => sum + r.killed, 0);
    const scored = reports.reduce((sum, r) => sum + r.run - r.equivalent.length, 0);
    const survived = reports.reduce((sum, r) => sum + r.survived.length, 0);
    const summary = `${killed} of ${scored} mutants killed; ${survived} unexplained survivor(s)`;
    print(failed === 0 ? style.green(`${summary}.`) : style.red(`${summary}; ${failed} exercise(s) to look at.`));
  }
  if (failed) throw new ExitError(ExitCode.failed);
}

function describe(verdict: ExerciseVerdict): string {
  const failing = verdict.tests.find((t) => t.outcome === "failed" || t.outcome === "error" || t.outcome === "skipped");
  return failing ? `${verdict.status}: ${failing.name}: ${(failing.message ?? "").split("\n")[0]}` : verdict.status;
}
