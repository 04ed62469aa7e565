// Mutation testing of the verifiers: small mechanical changes to a reference solution (python/roadmap_mutate.py
// makes them), each run through the exercise's verifier. A mutant every test still passes is a hole in the
// verifier, unless the exercise lists it in `equivalent_mutants` (it changes no behaviour the README states).
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyExerciseFiles } from "../content/files.js";
import type { Exercise } from "../content/model.js";
import { UserError } from "../errors.js";
import { runProcess } from "./process.js";
import type { ExerciseVerdict, VerifyJob } from "./verify.js";

/** At most this many mutants per exercise by default; python/roadmap_mutate.py says how it picks them when there are more. */
export const MAX_MUTANTS = 60;

export interface Mutant {
  file: string;
  /** Where the change is; informational, since lines shift as the solution changes. */
  line: number;
  kind: string;
  /** The code before and after the change, as Python's ast.unparse writes it: what `equivalent_mutants` lists. */
  from: string;
  to: string;
}

export interface ExerciseMutants {
  /** How many mutants the solution has; `mutants` are the ones picked to run. */
  generated: number;
  mutants: Mutant[];
}

/** The Python files of an exercise's solution that mutants are made of: the learner's files that are Python. */
export function mutatedFiles(exercise: Pick<Exercise, "files">): string[] {
  return exercise.files.filter((file) => file.endsWith(".py"));
}

/**
 * Makes the mutants of every exercise in one Python process. The mutated file of mutant n of an exercise is
 * written to <out>/<exercise id>/<n>/<file>; `mutantJob` builds a runnable solution from it.
 */
export async function generateMutants(python: string, pluginDir: string, exercises: Exercise[], out: string, max = MAX_MUTANTS): Promise<Map<string, ExerciseMutants>> {
  const request = join(out, "request.json");
  const wanted = exercises.map((exercise) => ({ id: exercise.id, dir: join(exercise.dir, "solution"), files: mutatedFiles(exercise) }));
  writeFileSync(request, JSON.stringify({ max, out, exercises: wanted }));
  const result = await runProcess({
    file: python,
    args: [join(pluginDir, "roadmap_mutate.py"), request],
    cwd: out,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    timeoutMs: 120_000,
    maxOutputBytes: 16 * 1024 * 1024,
  });
  if (result.startError) throw new UserError(`could not run ${python}: ${result.startError}`, 2, "Check the Python path, or run: roadmap doctor");
  if (result.exitCode !== 0) {
    throw new UserError(`making the mutants failed (exit ${result.exitCode}): ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`, 2);
  }
  return new Map(Object.entries(JSON.parse(result.stdout) as Record<string, ExerciseMutants>));
}

/** A verifier job for mutant `index` of an exercise: its solution, with the one mutated file, copied to `dir`. */
export function mutantJob(exercise: Exercise, mutant: Mutant, index: number, out: string, dir: string): VerifyJob {
  copyExerciseFiles(join(exercise.dir, "solution"), dir);
  copyFileSync(join(out, exercise.id, String(index), mutant.file), join(dir, mutant.file));
  return { exercise, sourceDir: dir };
}

/**
 * The timeout of a mutant's run: five times what its solution's run took (start-up, collection and tests), plus
 * a second, so a mutant that loops is stopped soon instead of after the 60 s a learner's check allows.
 */
export function mutantTimeoutMs(solutionWallMs: number): number {
  return Math.round(1_000 + 5 * solutionWallMs);
}

export interface Equivalent extends Mutant {
  why: string;
}

export interface MutationReport {
  exercise: string;
  generated: number;
  /** Mutants run. */
  run: number;
  /** Mutants some test caught, timeouts included (a mutant that hangs is caught by the timeout). */
  killed: number;
  timedOut: number;
  /** Mutants every test passes that `equivalent_mutants` does not explain: holes in the verifier. */
  survived: Mutant[];
  /** Survivors `equivalent_mutants` lists, with its reason. */
  equivalent: Equivalent[];
  /** Mutants that ran without a verdict (a skipped verifier: a missing service). */
  unverified: Mutant[];
  /** killed / (run - equivalent), or null when there is nothing to score. */
  score: number | null;
  problems: string[];
  /** Notes that do not fail the run: an `equivalent_mutants` entry whose mutant the tests kill here. */
  notes: string[];
  ok: boolean;
}

type Listed = Pick<Exercise, "id" | "equivalent_mutants">;

const sameChange = (entry: Listed["equivalent_mutants"][number], mutant: Mutant) =>
  entry.file === mutant.file && entry.from.trim() === mutant.from && entry.to.trim() === mutant.to;

/**
 * Judges an exercise's mutants from their verdicts (in the order of `mutants`), against its `equivalent_mutants`.
 * With `notRun` (why the mutants could not run, e.g. the solution fails) there is nothing to judge but that.
 */
export function judgeMutants(exercise: Listed, generated: ExerciseMutants, verdicts: ExerciseVerdict[], notRun?: string): MutationReport {
  if (notRun) {
    const none = { killed: 0, timedOut: 0, survived: [], equivalent: [], unverified: [], score: null, notes: [] };
    return { exercise: exercise.id, generated: generated.generated, run: 0, ...none, problems: [notRun], ok: false };
  }
  const { mutants } = generated;
  const status = (index: number) => verdicts[index]?.status;
  const caught = mutants.filter((_, i) => status(i) === "failed" || status(i) === "timeout");
  const passing = mutants.filter((_, i) => status(i) === "passed");
  const equivalent: Equivalent[] = [];
  const survived: Mutant[] = [];
  for (const mutant of passing) {
    const entry = exercise.equivalent_mutants.find((e) => sameChange(e, mutant));
    if (entry) equivalent.push({ ...mutant, why: entry.why });
    else survived.push(mutant);
  }
  const problems: string[] = [];
  const notes: string[] = [];
  for (const entry of exercise.equivalent_mutants) {
    const matching = mutants.filter((m) => sameChange(entry, m));
    const described = `equivalent_mutants lists ${entry.file}: ${JSON.stringify(entry.from)} → ${JSON.stringify(entry.to)}`;
    // With a sample (fewer mutants run than made), an entry's mutant may simply not have been picked.
    if (matching.length === 0 && mutants.length === generated.generated) problems.push(`${described}, which is no mutant of the solution now: remove or update the entry`);
    else if (matching.length > 0 && matching.every((m) => caught.includes(m))) notes.push(`${described}, but the tests kill it here: it is not equivalent`);
  }
  const unverified = mutants.filter((_, i) => status(i) === "skipped");
  if (unverified.length) problems.push(`${unverified.length} mutant(s) were not verified: ${verdicts.find((v) => v.status === "skipped")?.tests.find((t) => t.outcome === "skipped")?.message ?? "skipped"}`);
  const scored = mutants.length - equivalent.length;
  return {
    exercise: exercise.id,
    generated: generated.generated,
    run: mutants.length,
    killed: caught.length,
    timedOut: mutants.filter((_, i) => status(i) === "timeout").length,
    survived,
    equivalent,
    unverified,
    score: scored > 0 ? caught.length / scored : null,
    problems,
    notes,
    ok: survived.length === 0 && problems.length === 0,
  };
}
