// What counts as progress: quiz standings recomputed from answers, checklist ticks of items that exist, passes
// that a reset took back, and the ci summary's stage states. Pure functions, table-driven.
import { describe, expect, it } from "vitest";
import { buildReport, formatReportTable, type VerifiedStatus } from "../../src/ci/report.js";
import { loadRoadmap } from "../../src/content/load.js";
import type { Question } from "../../src/content/schema.js";
import { planNext, summarizeStage } from "../../src/plan.js";
import { migrateFromSchema1, type Progress1 } from "../../src/progress/migrate.js";
import {
  emptyProgress,
  markExercisePassed,
  markLessonRead,
  recordExerciseReset,
  recordHintUsed,
  recordQuizAttempt,
  setChecklistItems,
  type Progress,
  type QuizAttempt,
} from "../../src/progress/model.js";
import { quizStanding } from "../../src/quiz/standing.js";
import { describeStep } from "../../src/ui/format.js";
import { fixtureCourse } from "../helpers.js";
import { attemptOn, wrongAnswer } from "./attempts.js";

const roadmap = await loadRoadmap(fixtureCourse);
const basics = roadmap.stages[0]!;
const questions = basics.quiz.questions;
const t = (day: number) => new Date(Date.UTC(2026, 0, day));

/** The basics questions with one changed: pick-one reworded. */
const reworded: Question[] = questions.map((q) => (q.id === "pick-one" ? { ...q, prompt: "Which number is divisible by two?" } : q));
/** The basics questions with pick-one replaced by a new question. */
const replaced: Question[] = questions.map((q) => (q.id === "pick-one" ? { ...q, id: "pick-even" } : q));
/** The basics questions with pick-many's answer changed. */
const rekeyed: Question[] = questions.map((q) => (q.id === "pick-many" && q.type === "multiple" ? { ...q, answer: ["two"] } : q));
const only = (ids: string[], from: readonly Question[] = questions) => from.filter((q) => ids.includes(q.id));
const unfingerprinted = (attempt: QuizAttempt): QuizAttempt => ({
  ...attempt,
  answers: Object.fromEntries(Object.entries(attempt.answers).map(([id, { given }]) => [id, { given }])),
});

describe("quizStanding: recomputed from the answers against the current key", () => {
  it.each<[string, readonly Question[], QuizAttempt[], { best: number | null; correct: number; passed: boolean; unanswered: string[] }]>([
    ["never taken", questions, [], { best: null, correct: 0, passed: false, unanswered: ["pick-one", "pick-many", "true-or-false"] }],
    ["all right", questions, [attemptOn(questions, t(1))], { best: 1, correct: 3, passed: true, unanswered: [] }],
    ["one right of three is below the 60% mark", questions, [attemptOn(questions, t(1), ["pick-one", "pick-many"])], { best: 1 / 3, correct: 1, passed: false, unanswered: [] }],
    [
      "a stored verdict or score counts for nothing",
      questions,
      [{ ...attemptOn(questions, t(1), ["pick-one", "pick-many", "true-or-false"]), score: 1, passed: true } as QuizAttempt],
      { best: 0, correct: 0, passed: false, unanswered: [] },
    ],
    ["a reworded question is not yet answered", reworded, [attemptOn(questions, t(1))], { best: 2 / 3, correct: 2, passed: true, unanswered: ["pick-one"] }],
    ["a replaced question is not yet answered", replaced, [attemptOn(questions, t(1))], { best: 2 / 3, correct: 2, passed: true, unanswered: ["pick-even"] }],
    ["a question whose answer changed is not yet answered", rekeyed, [attemptOn(questions, t(1))], { best: 2 / 3, correct: 2, passed: true, unanswered: ["pick-many"] }],
    ["two changed questions: one of three is below the mark", replaced.map((q) => (q.id === "true-or-false" ? { ...q, prompt: "Tuples are mutable." } : q)), [attemptOn(questions, t(1))], { best: 1 / 3, correct: 1, passed: false, unanswered: ["pick-even", "true-or-false"] }],
    ["answering just the changed question completes the quiz", reworded, [attemptOn(questions, t(1)), attemptOn(only(["pick-one"], reworded), t(2))], { best: 1, correct: 3, passed: true, unanswered: [] }],
    ["an answer given to the old question, after the change, still counts for nothing", reworded, [attemptOn(questions, t(1)), attemptOn(only(["pick-one"]), t(2))], { best: 2 / 3, correct: 2, passed: true, unanswered: ["pick-one"] }],
    ["a worse retake keeps the best standing, as before", questions, [attemptOn(questions, t(1)), attemptOn(questions, t(2), ["pick-one", "pick-many", "true-or-false"])], { best: 1, correct: 0, passed: true, unanswered: [] }],
    ["the latest answer to a question is the one that counts now", questions, [attemptOn(questions, t(1), ["pick-one"]), attemptOn(only(["pick-one"]), t(2))], { best: 1, correct: 3, passed: true, unanswered: [] }],
    ["an answer without a fingerprint counts for no version", questions, [unfingerprinted(attemptOn(questions, t(1)))], { best: 0, correct: 0, passed: false, unanswered: ["pick-one", "pick-many", "true-or-false"] }],
    ["an answer to a removed question is ignored", only(["pick-many", "true-or-false"]), [attemptOn(questions, t(1), ["pick-one"])], { best: 1, correct: 2, passed: true, unanswered: [] }],
    ["an answer of the wrong kind is wrong", questions, [{ at: t(1).toISOString(), answers: { ...attemptOn(questions, t(1)).answers, "true-or-false": { ...attemptOn(questions, t(1)).answers["true-or-false"]!, given: ["true"] } } }], { best: 2 / 3, correct: 2, passed: true, unanswered: [] }],
  ])("%s", (_name, current, attempts, expected) => {
    const standing = quizStanding({ questions: current, pass_mark: 0.6 }, attempts);
    expect({ best: standing.best, correct: standing.correct, passed: standing.passed, unanswered: standing.unanswered.map((q) => q.id) }).toEqual(expected);
    expect(standing.taken).toBe(attempts.length > 0);
  });

  it("a stage without questions has nothing to pass", () => {
    expect(quizStanding({ questions: [], pass_mark: 0.8 }, [])).toMatchObject({ passed: true, best: null, unanswered: [] });
  });

  it("never changes the attempts it is given", () => {
    const attempts = [attemptOn(questions, t(1)), attemptOn(only(["pick-one"], reworded), t(2))];
    const before = structuredClone(attempts);
    quizStanding({ questions: reworded, pass_mark: 0.6 }, attempts);
    expect(attempts).toEqual(before);
  });
});

type Step = (p: Progress) => Progress;
const read = (stage: string): Step => (p) => markLessonRead(p, stage, t(1));
const pass = (exercise: string): Step => (p) => markExercisePassed(p, exercise, t(2));
const reset = (exercise: string): Step => (p) => recordExerciseReset(p, exercise, t(3));
const tick = (stage: string, ...items: string[]): Step => (p) => setChecklistItems(p, stage, { tick: items }, t(1));
const quiz = (attempt: QuizAttempt): Step => (p) => recordQuizAttempt(p, "basics", attempt);
const progressAfter = (...steps: Step[]) => steps.reduce((p, step) => step(p), emptyProgress());
const verdicts = (entries: Record<string, VerifiedStatus>) => new Map(Object.entries(entries));

/** A round-1 progress file's content, as round 1 wrote it (answers judged, score and verdict stored). */
function round1(attempt: Progress1["quizzes"][string][number], cards: Progress1["review"] = {}): Progress {
  return migrateFromSchema1({ schema: 1, lessons: {}, checklist: { basics: { "read-docs": "x", "write-function": "x" } }, quizzes: { basics: [attempt] }, exercises: {}, review: cards });
}

describe("what counts for a stage (status, next, badge and ci)", () => {
  const basicsRow = (progress: Progress, statuses?: Record<string, VerifiedStatus>) => {
    const report = buildReport(roadmap, progress, statuses && verdicts(statuses));
    const row = report.rows[0]!;
    return { checklist: row.checklist.done, quiz: row.quiz?.passed, complete: row.complete, regressions: report.regressions.map((e) => e.id) };
  };
  const solvedBasics = [tick("basics", "read-docs", "write-function"), pass("add-numbers")];

  it.each<[string, Progress, Record<string, VerifiedStatus> | undefined, ReturnType<typeof basicsRow>]>([
    ["the stage done", progressAfter(...solvedBasics, quiz(attemptOn(questions, t(1)))), undefined, { checklist: 2, quiz: true, complete: true, regressions: [] }],
    [
      "forged: a round-1 attempt {score: 0, passed: true} with no right answer",
      round1({ at: "2026-01-01T00:00:00.000Z", score: 0, passed: true, answers: {} }),
      undefined,
      { checklist: 2, quiz: false, complete: false, regressions: [] },
    ],
    [
      "forged: a round-1 attempt claiming score 1 over wrong answers",
      round1(
        { at: "2026-01-01T00:00:00.000Z", score: 1, passed: true, answers: { "pick-one": { correct: true, given: ["three"] }, "pick-many": { correct: true, given: ["two"] }, "true-or-false": { correct: true, given: false } } },
        Object.fromEntries(Object.entries(attemptOn(questions, t(1)).answers).map(([id, a]) => [id, { stage: "basics", fingerprint: a.fingerprint!, due: "x", stability: 1, difficulty: 1, elapsed_days: 0, scheduled_days: 1, learning_steps: 0, reps: 1, lapses: 0, state: 2 }])),
      ),
      undefined,
      { checklist: 2, quiz: false, complete: false, regressions: [] },
    ],
    ["a tick of a removed checklist item does not count", progressAfter(tick("basics", "read-docs", "removed-item"), pass("add-numbers"), quiz(attemptOn(questions, t(1)))), undefined, { checklist: 1, quiz: true, complete: false, regressions: [] }],
    ["a tick under another stage does not count", progressAfter(tick("basics", "read-docs"), tick("advanced", "write-function")), undefined, { checklist: 1, quiz: false, complete: false, regressions: [] }],
    ["ci: a recorded pass failing now is a regression", progressAfter(...solvedBasics), { "add-numbers": "failed", greet: "failed" }, { checklist: 2, quiz: false, complete: false, regressions: ["add-numbers"] }],
    ["ci: after a reset the failing starter is no regression", progressAfter(...solvedBasics, reset("add-numbers")), { "add-numbers": "failed", greet: "failed" }, { checklist: 2, quiz: false, complete: false, regressions: [] }],
    ["ci: passed again after a reset, it counts", progressAfter(...solvedBasics, reset("add-numbers"), pass("add-numbers"), quiz(attemptOn(questions, t(1)))), { "add-numbers": "passed", greet: "failed" }, { checklist: 2, quiz: true, complete: true, regressions: [] }],
  ])("%s", (_name, progress, statuses, expected) => {
    expect(basicsRow(progress, statuses)).toEqual(expected);
  });

  it("reset takes the pass back and keeps it in the history, with the reset", () => {
    const progress = progressAfter(pass("add-numbers"), (p) => recordHintUsed(p, "add-numbers", 2), reset("add-numbers"), pass("add-numbers"));
    expect(progress.exercises["add-numbers"]).toEqual({
      hintsUsed: 2,
      passedAt: t(2).toISOString(),
      history: [
        { at: t(2).toISOString(), event: "passed" },
        { at: t(3).toISOString(), event: "reset" },
        { at: t(2).toISOString(), event: "passed" },
      ],
    });
    expect(recordExerciseReset(progressAfter(pass("add-numbers")), "add-numbers", t(3)).exercises["add-numbers"]).not.toHaveProperty("passedAt");
  });

  it("next offers just the questions still to answer once the quiz was taken", () => {
    const strict = { ...roadmap, stages: [{ ...basics, quiz: { ...basics.quiz, pass_mark: 0.9, questions: reworded } }, ...roadmap.stages.slice(1)] };
    const before = progressAfter(read("basics"), ...solvedBasics);
    const never = planNext(strict, before);
    expect(never).toMatchObject({ kind: "quiz", toAnswer: 0, command: "roadmap quiz basics" });
    expect(describeStep(never).action).toBe("Pass the quiz of Basics");

    const changed = planNext(strict, progressAfter(read("basics"), ...solvedBasics, quiz(attemptOn(questions, t(1)))));
    expect(changed).toMatchObject({ kind: "quiz", toAnswer: 1, command: "roadmap quiz basics" });
    expect(describeStep(changed).action).toBe("Answer the new or changed question of stage 1, Basics");
    expect(summarizeStage(strict, progressAfter(quiz(attemptOn(questions, t(1)))), strict.stages[0]!).quiz).toMatchObject({ taken: true, unanswered: 1, best: 2 / 3 });

    const failed = planNext(strict, progressAfter(read("basics"), ...solvedBasics, quiz(attemptOn(reworded, t(1), ["pick-many"]))));
    expect(failed).toMatchObject({ kind: "quiz", toAnswer: 0 });
  });
});

describe("the ci summary's stage states", () => {
  const states = (progress: Progress, statuses?: Record<string, VerifiedStatus>) =>
    formatReportTable(buildReport(roadmap, progress, statuses && verdicts(statuses)))
      .slice(1)
      .map((line) => line.split(/\s{2,}/).at(-1));

  it.each<[string, Progress, Record<string, VerifiedStatus> | undefined, string[]]>([
    ["nothing done: not started", emptyProgress(), undefined, ["not started", "not started"]],
    ["a lesson read", progressAfter(read("advanced")), undefined, ["not started", "in progress"]],
    ["an item ticked", progressAfter(tick("basics", "read-docs")), undefined, ["in progress", "not started"]],
    ["a removed item ticked is nothing done", progressAfter(tick("basics", "removed-item")), undefined, ["not started", "not started"]],
    ["a quiz taken, even failed", progressAfter(quiz(attemptOn(questions, t(1), ["pick-one", "pick-many", "true-or-false"]))), undefined, ["in progress", "not started"]],
    ["a hint taken", progressAfter((p) => recordHintUsed(p, "greet", 1)), undefined, ["not started", "in progress"]],
    ["ci: an exercise verified but not recorded", emptyProgress(), { "add-numbers": "passed", greet: "failed" }, ["in progress", "not started"]],
    ["ci: a recorded pass failing now was still work done", progressAfter(pass("greet")), { "add-numbers": "failed", greet: "failed" }, ["not started", "in progress"]],
    ["complete", progressAfter(tick("advanced", "ship-it"), pass("greet")), undefined, ["not started", "complete"]],
  ])("%s", (_name, progress, statuses, expected) => {
    expect(states(progress, statuses)).toEqual(expected);
  });
});

describe("wrongAnswer (test helper) is wrong for every question", () => {
  it.each(questions.map((q) => [q.id, q] as const))("%s", (_id, q) => {
    expect(quizStanding({ questions: [q], pass_mark: 1 }, [{ at: "x", answers: { [q.id]: { given: wrongAnswer(q), fingerprint: attemptOn([q], t(1)).answers[q.id]!.fingerprint } } }]).correct).toBe(0);
  });
});
