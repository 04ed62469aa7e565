// A hand-edited quiz attempt that claims a pass must not make `roadmap ci`'s badge count the stage: the quiz
// standing is recomputed from the answers, whatever score or verdict the file stores.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { learnerWithWorkspace, readJson } from "../helpers.js";
import { figure } from "./course.js";

const at = "2026-01-02T03:04:05.000Z";

/** A workspace whose basics stage is done but for its quiz: checklist ticked, add-numbers solved and recorded. */
async function basicsButTheQuiz() {
  const learner = await learnerWithWorkspace();
  const { run, workspace, course } = learner;
  copyFileSync(join(course, "exercises/basics/add-numbers/solution/adder.py"), join(workspace, "basics/add-numbers/adder.py"));
  expect((await run(["check", "add-numbers"])).code).toBe(0);
  expect((await run(["checklist", "basics", "--done", "read-docs,write-function"])).code).toBe(0);
  /** Runs `roadmap ci`; the badge's message and the basics row of the summary. */
  const ci = async () => {
    const result = await run(["ci", "--jobs", "1"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const badgeDir = join(workspace, ".roadmap", "badge");
    const summary = readFileSync(join(badgeDir, "summary.md"), "utf8");
    return { message: readJson(join(badgeDir, "endpoint.json")).message, basics: summary.split("\n").find((line) => line.startsWith("| 1 |")) };
  };
  return { ...learner, ci };
}

describe("a forged quiz pass", () => {
  it.each([
    ["schema 1 (round 1), no answers", { schema: 1, attempt: { at, score: 0, passed: true, answers: {} } }],
    [
      "schema 1 (round 1), wrong answers marked correct",
      {
        schema: 1,
        attempt: {
          at,
          score: 0,
          passed: true,
          answers: { "pick-one": { correct: true, given: ["three"] }, "pick-many": { correct: true, given: ["two"] }, "true-or-false": { correct: true, given: false } },
        },
      },
    ],
    ["schema 2, no answers", { schema: 2, attempt: { at, score: 0, passed: true, answers: {} } }],
  ])("%s: {score: 0, passed: true} does not count the stage on roadmap ci's badge", async (_name, { schema, attempt }) => {
    const { ci, progressFile, progress, run } = await basicsButTheQuiz();
    const saved = progress();
    // The hand edit: an attempt that claims a pass, in the schema the file is written in.
    const forged = { ...saved, schema, quizzes: { basics: [attempt] } };
    if (schema === 1) forged.exercises = { "add-numbers": { passedAt: saved.exercises["add-numbers"].passedAt, hintsUsed: 0 } };
    writeFileSync(progressFile, JSON.stringify(forged, null, 2));

    const forgedRun = await ci();
    expect(forgedRun.message).toBe("0/2 stages");
    expect(forgedRun.basics).toMatch(/^\| 1 \| Basics \| 2\/2 \| not yet \(best 0%\) \| 1\/1 \| in progress \|$/);

    // The control: a real pass counts, so the check above is not passing for another reason.
    expect((await run(["quiz", "basics", "--answers", "pick-one=four,pick-many=two+five,true-or-false=true"])).code).toBe(0);
    const earned = await ci();
    expect(earned.message).toBe("1/2 stages");
    expect(earned.basics).toContain("| passed (best 100%) | 1/1 | complete |");
    figure(`forged quiz pass (${_name}): ci badge 0/2 stages; after a real pass 1/2`);
  });
});
