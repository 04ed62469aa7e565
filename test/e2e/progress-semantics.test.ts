// What progress means, through the built CLI: a round-1 file read as it was, questions changed since they were
// answered, and reset taking a pass back.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learnerWithWorkspace, repoRoot } from "../helpers.js";

const ALL_RIGHT = "pick-one=four,pick-many=two+five,true-or-false=true";
const round1File = join(repoRoot, "test", "fixtures", "progress", "schema-1.json");

/** Changes a stage file of a course copy: `[from, to]` text replacements, each of which must apply. */
function edit(course: string, stageFile: string, ...changes: [string, string][]): void {
  const file = join(course, "roadmap", stageFile);
  let text = readFileSync(file, "utf8");
  for (const [from, to] of changes) {
    expect(text).toContain(from);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
}

describe("a round-1 progress file (schema 1)", () => {
  it("reads as round 1 showed it, is left byte for byte by commands that only read, and is saved as schema 2 by the next change", async () => {
    const { run, progressFile, progress } = await learnerWithWorkspace();
    copyFileSync(round1File, progressFile);
    const bytes = readFileSync(progressFile);

    const status = await run(["status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/1 {2}Basics {4}#+ {2}checklist {3}2\/2 {2}quiz {2}67% {2}exercises {3}1\/1 {2}done/);
    expect(status.stdout).toContain("Overall #################... 83%  (1/2 stages complete)");
    const json = JSON.parse((await run(["status", "--json"])).stdout);
    expect(json.stages[0].quiz).toMatchObject({ best: 2 / 3, passed: true, taken: true, unanswered: 0 });
    expect(json.stages[1]).toMatchObject({ started: true, complete: false });
    expect(JSON.parse((await run(["next", "--json"])).stdout)).toMatchObject({ kind: "learn", command: "roadmap learn advanced" });
    expect(JSON.parse((await run(["badge", "--format", "json"])).stdout).message).toBe("1/2 stages");
    expect(readFileSync(progressFile).equals(bytes)).toBe(true);

    expect((await run(["hint", "greet"])).code).toBe(0);
    const saved = progress();
    expect(saved.schema).toBe(2);
    expect(saved.exercises.greet.hintsUsed).toBe(2);
    expect(saved.exercises["add-numbers"].history).toEqual([{ at: "2026-11-29T23:57:15.691Z", event: "passed" }]);
    expect(saved.quizzes.basics[1].answers["pick-one"]).toEqual({ given: ["four"], fingerprint: saved.review["pick-one"].fingerprint });
    expect(JSON.stringify(saved.quizzes)).not.toMatch(/"passed"|"score"|"correct"/);
    expect(JSON.parse((await run(["status", "--json"])).stdout).stages[0].quiz).toMatchObject({ best: 2 / 3, passed: true });
  });
});

describe("questions changed since the quiz was taken", () => {
  it("status counts them, next offers just them, and the quiz asks only them (--all asks every one)", async () => {
    const course = copyCourse();
    edit(course, "01-basics.md", ["pass_mark: 0.6", "pass_mark: 0.9"]);
    const { run, workspace, progress } = await learnerWithWorkspace(course);
    copyFileSync(join(course, "exercises/basics/add-numbers/solution/adder.py"), join(workspace, "basics/add-numbers/adder.py"));
    for (const args of [["learn", "basics"], ["check", "add-numbers"], ["checklist", "basics", "--done", "read-docs,write-function"], ["quiz", "basics", "--answers", ALL_RIGHT]]) {
      const result = await run(args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    }
    expect((await run(["status"])).stdout).toMatch(/1 {2}Basics .* quiz 100% .* done/);

    // A newer roadmap rewords one question: the answer given to the old wording no longer counts.
    edit(course, "01-basics.md", ["Which number is even?", "Which number is divisible by two?"]);
    const status = await run(["status"]);
    expect(status.stdout).toMatch(/1 {2}Basics .* quiz {2}67% {2}exercises {3}1\/1 {2}1 quiz question to answer\n/);
    expect(JSON.parse((await run(["status", "--json"])).stdout).stages[0].quiz).toMatchObject({ best: 2 / 3, passed: false, unanswered: 1 });
    const next = await run(["next"]);
    expect(next.stdout).toContain("Next: Answer the new or changed question of stage 1, Basics");
    expect(next.stdout).toContain("Your answers to the other questions still count; add --all to retake every question.");
    expect(next.stdout).toContain("roadmap quiz basics");
    expect(JSON.parse((await run(["next", "--json"])).stdout)).toMatchObject({ kind: "quiz", toAnswer: 1, command: "roadmap quiz basics" });

    const allAnswers = await run(["quiz", "basics", "--answers", ALL_RIGHT]);
    expect(allAnswers.code).toBe(2);
    expect(allAnswers.stderr).toContain('question "pick-many" is answered already; only the new or changed questions are asked: pick-one');
    expect(allAnswers.stderr).toContain("retake every question with --all");
    const noTerminal = await run(["quiz", "basics"]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('roadmap quiz basics --answers "pick-one=<option-id>"');

    const answered = await run(["quiz", "--answers", "pick-one=four"]);
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stdout).toContain("Quiz: Basics, 1 new or changed question of 3 (your answers to the other 2 still count; --all retakes every question), pass mark 90%");
    expect(answered.stdout).toContain("Which number is divisible by two?");
    expect(answered.stdout).not.toContain("Which are primes?");
    expect(answered.stdout).toContain("Score 3/3 (100%): passed.");
    expect(answered.stdout).toContain("(1 answered now, 2 earlier)");
    expect(Object.keys(progress().quizzes.basics[1].answers)).toEqual(["pick-one"]);
    expect((await run(["status"])).stdout).toMatch(/1 {2}Basics .* quiz 100% {2}exercises {3}1\/1 {2}done/);

    // Every question answered: the quiz asks all of them again, as before.
    const retake = await run(["quiz", "basics", "--answers", ALL_RIGHT]);
    expect(retake.code, retake.stderr).toBe(0);
    expect(retake.stdout).toContain("Quiz: Basics, 3 questions, pass mark 90%");

    // --all retakes every question even while one is new.
    edit(course, "01-basics.md", ["Python lists are mutable.", "Python lists can be changed in place."]);
    const all = await run(["quiz", "basics", "--all", "--answers", "pick-one=four,pick-many=two,true-or-false=true"]);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain("Quiz: Basics, 3 questions, pass mark 90%");
    expect(all.stdout).toContain("Score 2/3 (67%): not passed yet.");
    // Never were all three questions, as they are now, answered right together: the earlier answer to the old
    // wording of true-or-false counts for nothing.
    expect(JSON.parse((await run(["status", "--json"])).stdout).stages[0].quiz).toMatchObject({ best: 2 / 3, passed: false, unanswered: 0 });
  });
});

describe("roadmap reset", () => {
  it("takes the pass back (kept in the history with the reset), so ci reports no regression; ci says which stages are not started", async () => {
    const { run, workspace, course, progress } = await learnerWithWorkspace();
    copyFileSync(join(course, "exercises/basics/add-numbers/solution/adder.py"), join(workspace, "basics/add-numbers/adder.py"));
    expect((await run(["check", "add-numbers"])).code).toBe(0);
    const passedAt = progress().exercises["add-numbers"].passedAt;
    expect(progress().exercises["add-numbers"].history).toEqual([{ at: passedAt, event: "passed" }]);

    const reset = await run(["reset", "add-numbers"]);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain("add-numbers no longer counts as passed: solve it again and check it (roadmap check add-numbers).");
    const entry = progress().exercises["add-numbers"];
    expect(entry).not.toHaveProperty("passedAt");
    expect(entry.history).toEqual([
      { at: passedAt, event: "passed" },
      { at: expect.stringMatching(/^\d{4}-/), event: "reset" },
    ]);
    expect(JSON.parse((await run(["status", "--json"])).stdout).stages[0].exercises).toMatchObject({ passed: 0 });

    const ci = await run(["ci", "--jobs", "1"]);
    expect(ci.code, ci.stdout + ci.stderr).toBe(0);
    expect(ci.stdout).not.toContain("REGRESSION");
    expect(ci.stdout.split("\n").slice(0, 3)).toEqual([
      "#  stage     checklist  quiz     exercises verified  state",
      "1  Basics    0/2        not yet  0/1                 in progress",
      "2  Advanced  0/1        -        0/1                 not started",
    ]);
    expect(readFileSync(join(workspace, ".roadmap", "badge", "summary.md"), "utf8")).toContain("| 2 | Advanced | 0/1 | - | 0/1 | not started |");
  });
});
