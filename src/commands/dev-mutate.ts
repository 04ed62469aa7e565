import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Exercise } from "../content/model.js";
import { ExitCode, ExitError } from "../errors.js";
import { packageRoot } from "../package-info.js";
import { formatMutationReport } from "../ui/mutate-format.js";
import { print, style } from "../ui/style.js";
import { runBatches } from "../verify/batches.js";
import { MAX_MUTANTS, generateMutants, judgeMutants, mutantJob, mutantTimeoutMs, type MutationReport } from "../verify/mutate.js";
import type { ExerciseVerdict } from "../verify/verify.js";
import { wholeNumberOption } from "../whole-number.js";
import { startAuthoringRun, type AuthoringOptions } from "./authoring-run.js";

export interface DevMutateOptions extends AuthoringOptions {
  /** At most this many mutants per exercise. */
  max?: string;
}

const SOLUTION_TIMEOUT_MS = 60_000;

/**
 * The mutation report: each exercise's solution, changed in one small place at a time, must fail its verifier.
 * The solutions run first (each must pass, and the time each takes sets its mutants' timeout); then every mutant,
 * one pytest process each.
 */
export async function devMutate(exerciseIds: string[], options: DevMutateOptions): Promise<void> {
  const { exercises, python, jobs: parallel, forks } = await startAuthoringRun(exerciseIds, options);
  const pluginDir = join(packageRoot, "python");

  const work = mkdtempSync(join(tmpdir(), "roadmap-mutate-"));
  const reports: MutationReport[] = [];
  try {
    const out = join(work, "mutants");
    mkdirSync(out);
    const generated = await generateMutants(python, pluginDir, exercises, out, wholeNumberOption("--max", options.max, MAX_MUTANTS));
    const mutantsOf = (exercise: Exercise) => generated.get(exercise.id)?.mutants ?? [];
    const mutated = exercises.filter((e) => mutantsOf(e).length > 0);
    const total = mutated.reduce((sum, e) => sum + mutantsOf(e).length, 0);
    if (!options.json) print(style.dim(`Mutating ${exercises.length} exercises: ${total} mutants, ${parallel} at a time, with ${python}`));

    // Each solution first, as its mutants will run: it must pass, and its time bounds theirs.
    const solutionWallMs = new Map<string, number>();
    const startedAt = new Map<number, number>();
    const solutions = (
      await runBatches(
        mutated.map((exercise) => [{ exercise, sourceDir: join(exercise.dir, "solution") }]),
        {
          python,
          pluginDir,
          timeoutMs: SOLUTION_TIMEOUT_MS,
          singleTimeoutMs: SOLUTION_TIMEOUT_MS,
          parallel,
          runner: forks,
          onBatchStart: (index) => startedAt.set(index, Date.now()),
          onBatchDone: (index) => solutionWallMs.set(mutated[index]!.id, Date.now() - startedAt.get(index)!),
        },
      )
    ).flat();
    const passing = mutated.filter((_, i) => solutions[i]!.status === "passed");

    // One pytest process per mutant (mutants of an exercise share module names; one exercise per process is also
    // the faster way, see dev-check.ts), stopped at its first failing test: a mutant is killed by one failure.
    const jobs = passing.flatMap((e) => mutantsOf(e).map((mutant, n) => mutantJob(e, mutant, n, out, join(work, "runs", e.id, String(n)))));
    const verdicts = await runBatches(
      jobs.map((job) => [job]),
      {
        python,
        pluginDir,
        timeoutMs: SOLUTION_TIMEOUT_MS,
        singleTimeoutMs: SOLUTION_TIMEOUT_MS,
        parallel,
        runner: forks,
        exitFirst: true,
        timeoutFor: ([job]) => mutantTimeoutMs(solutionWallMs.get(job!.exercise.id) ?? SOLUTION_TIMEOUT_MS),
      },
    );
    if ([...solutions, ...verdicts.flat()].some((v) => v.status === "interrupted")) throw new ExitError(ExitCode.interrupted);

    for (const exercise of exercises) {
      const solution = solutions[mutated.indexOf(exercise)];
      const notRun = solution && solution.status !== "passed" ? `the solution does not pass (${describe(solution)}): no mutant was run` : undefined;
      const own = verdicts.flat().filter((v) => v.exercise === exercise);
      reports.push(judgeMutants(exercise, generated.get(exercise.id) ?? { generated: 0, mutants: [] }, own, notRun));
    }
  } finally {
    forks?.close();
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
