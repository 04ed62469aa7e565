// Every exercise's verifier, on every Python stack: the solution passes, the starter and each wrong solution fail,
// every rule is covered (a test checks it, a wrong solution breaks it alone) and the tests match tests.lock.json.
// CI sets ROADMAP_TEST_PYTHONS to Debian 12's python3 and a venv of current packages, with ROADMAP_STRICT=1.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { learner } from "../helpers.js";

const configured = (process.env.ROADMAP_TEST_PYTHONS ?? "").split(":").filter(Boolean);
const stacks = configured.length ? configured : ["/usr/bin/python3"].filter(hasTheStack);
const strict = process.env.ROADMAP_STRICT === "1";
const exercisesDir = join(import.meta.dirname, "..", "..", "exercises");
const BUNDLED_EXERCISES = readdirSync(exercisesDir).flatMap((stage) => readdirSync(join(exercisesDir, stage))).length;
/** Exercises whose dev mutate survivors have all been killed or explained: they must stay that way. */
const MUTANTS_IN_CI = "15";

function hasTheStack(python: string): boolean {
  return existsSync(python) && spawnSync(python, ["-c", "import fastapi, sqlalchemy, pytest"]).status === 0;
}

function pydanticMajor(python: string): string {
  return spawnSync(python, ["-c", "import pydantic; print(pydantic.VERSION.split('.')[0])"], { encoding: "utf8" }).stdout.trim();
}

if (stacks.length === 0) {
  console.warn("SKIPPED: no Python stack with fastapi, sqlalchemy and pytest; set ROADMAP_TEST_PYTHONS to verify the curriculum");
}

describe.skipIf(stacks.length === 0)("the curriculum's verifiers", () => {
  if (configured.length) {
    it("runs on both stacks: pydantic 1 (Debian 12) and pydantic 2 (current)", () => {
      expect(stacks.map(pydanticMajor).sort()).toEqual(["1", "2"]);
    });
  }

  it.each(stacks)("all pass `roadmap dev check` on %s", async (python) => {
    const result = await learner().run(["dev", "check", "--json", "--python", python], { env: { ROADMAP_STRICT: strict ? "1" : "" } });
    const report = JSON.parse(result.stdout || "{}") as { problems: string[]; exercises: Entry[] };
    type Entry = { exercise: string; ok: boolean; results: { ok: boolean; summary: string }[]; coverage?: { problems: string[] } };
    // Without ROADMAP_STRICT (a learner's machine, a fresh clone) a verifier whose service is not installed is
    // skipped, and said so; in CI every exercise must really run.
    const unverified = (entry: Entry) => entry.results.every((r) => r.ok || r.summary.includes("was not verified")) && !entry.coverage?.problems.length;
    const skipped = strict ? [] : report.exercises.filter((e) => !e.ok && unverified(e));
    for (const entry of skipped) console.warn(`SKIPPED on ${python}: ${entry.exercise}: ${entry.results.find((r) => !r.ok)?.summary}`);
    // One entry per exercise that is not right, with every run that went wrong and every coverage problem.
    const failures = report.exercises
      .filter((e) => !e.ok && !skipped.includes(e))
      .map((e) => ({ exercise: e.exercise, problems: [...e.results.filter((r) => !r.ok).map((r) => r.summary), ...(e.coverage?.problems ?? [])] }));
    if (failures.length) console.warn(`${report.exercises.length - failures.length} of ${report.exercises.length} exercises pass dev check on ${python}`);
    expect({ problems: report.problems, failures, stderr: result.stderr }).toEqual({ problems: [], failures: [], stderr: "" });
    expect(result.code).toBe(skipped.length ? 1 : 0);
    expect(report.exercises).toHaveLength(BUNDLED_EXERCISES);
  }, 600_000);

  // dev mutate runs on one stack, the first: in CI, Debian 12's python3. The code it mutates is the same on both
  // stacks, and Debian's packages are pinned by the distribution, so which mutants survive (and so which
  // equivalent_mutants entries hold) cannot change under us when a package moves on PyPI. CI runs a fixed sample
  // of MUTANTS_IN_CI per exercise (spread over the kinds and the code; the same ones every run): all of them,
  // some 2,000 processes, would take CI's whole budget; `roadmap dev mutate` runs up to 60 per exercise.
  it(`kills or explains every mutant of a sample of each solution's (roadmap dev mutate --max ${MUTANTS_IN_CI} on ${stacks[0]})`, async () => {
    const python = stacks[0]!;
    const result = await learner().run(["dev", "mutate", "--json", "--max", MUTANTS_IN_CI, "--python", python], { env: { ROADMAP_STRICT: strict ? "1" : "" } });
    type Mutant = { file: string; line: number; kind: string; from: string; to: string };
    type Entry = { exercise: string; ok: boolean; run: number; killed: number; equivalent: unknown[]; survived: Mutant[]; unverified: Mutant[]; problems: string[] };
    const report = JSON.parse(result.stdout || "{}") as { exercises: Entry[] };
    // As for dev check: outside CI an exercise whose service is missing is skipped, and said so.
    const skipped = strict ? [] : report.exercises.filter((e) => e.unverified.length || e.problems.some((p) => p.includes("(skipped")));
    for (const entry of skipped) console.warn(`SKIPPED dev mutate of ${entry.exercise} on ${python}: ${entry.problems.join("; ")}`);
    const failures = report.exercises
      .filter((e) => !e.ok && !skipped.includes(e))
      .map((e) => ({
        exercise: e.exercise,
        score: `${e.killed}/${e.run - e.equivalent.length}`,
        problems: e.problems,
        survived: e.survived.map((m) => `${m.file}:${m.line} (${m.kind}) from: ${JSON.stringify(m.from)} to: ${JSON.stringify(m.to)}`),
      }));
    // Every exercise was triaged one survivor at a time: a new survivor is a hole to plug with a test, or a change
    // of no stated behaviour to list under equivalent_mutants with its reason.
    expect({ failures, stderr: result.stderr }).toEqual({ failures: [], stderr: "" });
    expect(report.exercises).toHaveLength(BUNDLED_EXERCISES);
  }, 900_000);
});

