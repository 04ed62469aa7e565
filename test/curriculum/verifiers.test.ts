// Every exercise's verifier, on every Python stack: the solution passes, the starter and each wrong solution fail,
// every rule is covered (a test checks it, a wrong solution breaks it alone) and the tests match tests.lock.json.
// CI sets ROADMAP_TEST_PYTHONS to Debian 12's python3 and a venv of current packages, with ROADMAP_STRICT=1.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { learner } from "../helpers.js";

const configured = (process.env.ROADMAP_TEST_PYTHONS ?? "").split(":").filter(Boolean);
const stacks = configured.length ? configured : ["/usr/bin/python3"].filter(hasTheStack);
const strict = process.env.ROADMAP_STRICT === "1";

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
    expect(report.exercises).toHaveLength(28);
  }, 600_000);
});

