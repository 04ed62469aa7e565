// A quiz on a real pseudo-terminal (python3's pty module, no node-pty): answer two questions, then Ctrl+C.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { CTRL_C, ENTER, SPACE, copyCourse, learner, underTerminal } from "../helpers.js";

it("Ctrl+C after two answers exits 130 and leaves the progress file byte for byte as it was", { timeout: 10_000 }, async () => {
  const person = learner();
  const course = copyCourse();
  const workspace = join(person.home, "ws");
  expect((await person.run(["init", workspace, "--roadmap", course, "--no-install"])).code).toBe(0);
  const args = ["--roadmap", course, "--workspace", workspace, "quiz", "basics", "--seed", "1"];
  // An earlier attempt, so there is a progress file to keep.
  expect((await person.run([...args, "--answers", "pick-one=four,pick-many=two,true-or-false=true"])).code).toBe(0);
  const file = join(workspace, ".roadmap", "progress.json");
  const before = readFileSync(file);

  const started = Date.now();
  const session = await underTerminal(
    [
      ["Which number is even?", ENTER],
      ["Which are primes?", SPACE],
      ["◉", ENTER],
      ["Python lists are mutable.", CTRL_C],
    ],
    args,
    // A real terminal has colours: the code snippet of question 2 is highlighted on the way.
    { ...person.env, NO_COLOR: undefined, TERM: "xterm-256color", COLUMNS: "100", LINES: "30" },
  );
  expect(session.missing, session.output).toBeNull();
  expect(session.exit, session.output).toBe(130);
  expect(session.output).toContain("Question 3/3");
  expect(session.output).toContain("\x1b[32m2\x1b[39m, \x1b[32m4\x1b[39m"); // candidates = [2, 4, 5], highlighted
  expect(session.output).not.toContain("Score");
  expect(readFileSync(file).equals(before)).toBe(true);
  expect(Date.now() - started).toBeLessThan(10_000);
});

it("roadmap next offers the quiz when it is the next step, and starts it", { timeout: 10_000 }, async () => {
  const person = learner();
  const course = copyCourse();
  const workspace = join(person.home, "ws");
  expect((await person.run(["init", workspace, "--roadmap", course, "--no-install"])).code).toBe(0);
  const at = "2026-01-01T00:00:00.000Z";
  const file = join(workspace, ".roadmap", "progress.json");
  const progress = { schema: 1, lessons: { basics: at }, checklist: { basics: { "read-docs": at, "write-function": at } }, exercises: { "add-numbers": { passedAt: at, hintsUsed: 0 } } };
  writeFileSync(file, JSON.stringify(progress));

  const session = await underTerminal(
    [
      ["Start now?", ENTER],
      ["Which number is even?", CTRL_C],
    ],
    ["--roadmap", course, "--workspace", workspace, "next"],
    { ...person.env, TERM: "xterm", COLUMNS: "100", LINES: "30" },
  );
  expect(session.missing, session.output).toBeNull();
  expect(session.output).toContain("Next: Pass the quiz of Basics");
  expect(session.output).toContain("Quiz: Basics, 3 questions");
  expect(session.exit, session.output).toBe(130);
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(progress);
});
