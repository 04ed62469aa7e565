import { join } from "node:path";
import { existsSync } from "node:fs";
import { loadContent, requireWorkspace, resolveExercise, type GlobalOptions } from "../context.js";
import { hintForFailure } from "../content/hints.js";
import { stageExercises, type Exercise, type Roadmap } from "../content/model.js";
import { readTestsLock } from "../content/tests-lock.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { packageRoot } from "../package-info.js";
import { isExercisePassed, planNext } from "../plan.js";
import { markExercisePassed, type Progress } from "../progress/model.js";
import { preloadProgressWriter, readProgress, updateProgress } from "../progress/store.js";
import { requireTrustedRoadmap } from "../trust.js";
import { describeStep } from "../ui/format.js";
import { print, style } from "../ui/style.js";
import { formatVerdict } from "../ui/verify-format.js";
import { findPython } from "../verify/python.js";
import { inWorkspace } from "../verify/results.js";
import { runVerifiers, type ExerciseVerdict } from "../verify/verify.js";
import { prepareWarmVerifier, takeWarmVerifier } from "../verify/warm.js";

export interface VerifyCommandOptions extends GlobalOptions {
  python?: string;
  timeout?: string;
}

export interface CheckOptions extends VerifyCommandOptions {
  json?: boolean;
}

/** The exercise a command means when none is named: the one `roadmap next` points at, else the first unpassed. */
export function currentExercise(roadmap: Roadmap, progress: Progress): Exercise {
  const step = planNext(roadmap, progress);
  if (step.kind === "exercise") return step.exercise;
  const inStage = step.kind === "done" ? [] : stageExercises(roadmap, step.stage);
  const unpassed = [...inStage, ...roadmap.exercises.values()].find((e) => !isExercisePassed(progress, e.id));
  if (!unpassed) throw new UserError("Every exercise already passes.", 2, "Name one to check again: roadmap check <exercise>");
  return unpassed;
}

/** A day: far beyond any verifier, and far below the ~24.8 days where Node's timers overflow and fire at once. */
export const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;

export function timeoutSeconds(options: VerifyCommandOptions): number {
  const seconds = options.timeout === undefined ? 60 : Number(options.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`--timeout must be a number of seconds, not "${options.timeout}"`);
  if (seconds > MAX_TIMEOUT_SECONDS) throw new UserError(`--timeout ${options.timeout} is more than a day (${MAX_TIMEOUT_SECONDS} s), the most it can be`);
  return seconds;
}

/** The tests a correct solution runs (tests.lock.json, written by dev check): a pass needs exactly these. */
export function recordedTests(exercise: Exercise): string[] | undefined {
  const lock = readTestsLock(exercise);
  return lock && Object.keys(lock);
}

/** Runs one exercise's verifier on the learner's files; the shared core of check and watch. */
export async function verifyInWorkspace(
  roadmap: Roadmap,
  workspace: string,
  exercise: Exercise,
  options: VerifyCommandOptions,
  /** Use (and afterwards start) a warm verifier process: watch does (src/verify/warm.ts). */
  warm = false,
): Promise<ExerciseVerdict> {
  const sourceDir = join(workspace, exercise.stageId, exercise.id);
  if (!existsSync(sourceDir)) {
    throw new UserError(`${sourceDir} is missing from your workspace.`, 2, `Restore the starter files with: roadmap reset ${exercise.id}`);
  }
  const { readSettings } = await import("../settings.js");
  const python = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON, workspace, setting: readSettings().python });
  const pluginDir = join(packageRoot, "python");
  const warmProcess = warm ? await takeWarmVerifier(python.path, exercise) : undefined;
  const run = await runVerifiers([{ exercise, sourceDir, within: workspace }], {
    python: python.path,
    pluginDir,
    warm: warmProcess,
    timeoutMs: timeoutSeconds(options) * 1000,
    // A pass is recorded next: load the progress writer while the verifier runs.
    whileRunning: preloadProgressWriter,
    expectedTests: recordedTests,
  });
  // The next check's verifier starts once this verdict is shown.
  if (warm) {
    setImmediate(() => {
      try {
        prepareWarmVerifier(python.path, pluginDir, exercise);
      } catch {
        // e.g. TMPDIR filled up meanwhile: the next check runs cold, and reports the problem if it persists.
      }
    });
  }
  // The verifier ran in a temporary copy: every path in what it says becomes one in the learner's workspace.
  const verdict = run.verdicts[0]!;
  return { ...verdict, tests: verdict.tests.map((test) => inWorkspace(test, exercise.stageId)) };
}

export async function check(exerciseArg: string | undefined, options: CheckOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  // NOTE: read progress first even when the exercise is named: a corrupt file stops the command before the verifier runs.
  const progress = await readProgress(workspace);
  const exercise = exerciseArg ? resolveExercise(roadmap, exerciseArg) : currentExercise(roadmap, progress);
  await requireTrustedRoadmap(options);
  if (!options.json) print(style.dim(`Checking ${exercise.id} (${join(exercise.stageId, exercise.id)}/)...`));
  const verdict = await verifyInWorkspace(roadmap, workspace, exercise, options);
  if (verdict.status === "interrupted") throw new ExitError(ExitCode.interrupted);
  const passed = verdict.status === "passed";
  const recorded = passed ? await updateProgress(workspace, (p) => markExercisePassed(p, exercise.id, new Date())) : undefined;

  if (options.json) {
    // The rules' text beside the tests that name them: a failure of the verifier's own check is explained by its rule.
    const rules = exercise.rules.map(({ id, text }) => ({ id, text }));
    print(JSON.stringify({ exercise: exercise.id, status: verdict.status, passed, tests: verdict.tests, rules }, null, 2));
  } else {
    for (const line of formatVerdict(verdict, timeoutSeconds(options))) print(line);
    if (recorded) {
      print(style.green(`Recorded: ${exercise.id} passes.`));
      const step = planNext(roadmap, recorded);
      print(`Next: ${describeStep(step).action}${step.kind === "done" ? "" : `  (${step.command})`}`);
    } else if (verdict.status === "failed") {
      const aimed = hintForFailure(exercise, verdict.tests, progress.exercises[exercise.id]?.hintsUsed ?? 0);
      print(style.dim(aimed ? `Stuck? The hint for rule ${aimed.rule}: roadmap hint ${exercise.id} --rule ${aimed.rule}` : `Stuck? roadmap hint ${exercise.id}`));
    }
  }
  if (verdict.status === "skipped") throw new ExitError(ExitCode.usage);
  if (!passed) throw new ExitError(ExitCode.failed);
}
