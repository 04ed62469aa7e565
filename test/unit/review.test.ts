import { describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import type { Question } from "../../src/content/schema.js";
import { suggestNext } from "../../src/plan.js";
import { emptyProgress, markExercisePassed, markLessonRead, recordQuizAttempt, setChecklistItems, type Progress } from "../../src/progress/model.js";
import { progressSchema } from "../../src/progress/schema.js";
import { dueItems, questionFingerprint, summarizeReview } from "../../src/quiz/due.js";
import { recordReviewAnswers, scheduleReview, type ReviewGrade } from "../../src/quiz/schedule.js";
import { fixtureCourse } from "../helpers.js";
import { attemptOn } from "./attempts.js";

const roadmap = await loadRoadmap(fixtureCourse);
const questions = roadmap.stages[0]!.quiz.questions;
const question = (id: string) => questions.find((q) => q.id === id)!;
const start = new Date("2026-03-01T09:00:00Z");
const DAY = 86_400_000;
const days = (from: Date, to: string) => Math.round((Date.parse(to) - from.getTime()) / DAY);

/** Answers one question with each grade in turn, each time on the day it falls due; the interval each answer set. */
function intervals(grades: ReviewGrade[], q: Question = question("pick-one")): number[] {
  let card = undefined;
  let now = start;
  const result: number[] = [];
  for (const grade of grades) {
    card = scheduleReview(card, q, "basics", grade, now);
    result.push(days(now, card.due));
    now = new Date(card.due);
  }
  return result;
}

describe("scheduleReview (FSRS via ts-fsrs, clock injected)", () => {
  it.each<[string, ReviewGrade[], number[]]>([
    ["a wrong first answer is due the next day", ["again"], [1]],
    ["a right first answer waits a few days", ["good"], [3]],
    ["right answers are spaced further apart each time", ["good", "good", "good", "good"], [3, 14, 57, 196]],
    ["a wrong answer after right ones comes back soon", ["good", "good", "again"], [3, 14, 2]],
    ["wrong, then right, then right", ["again", "good", "good"], [1, 3, 8]],
    ["an easy first answer waits longer than a good one", ["easy"], [8]],
    ["a hard first answer waits less than a good one", ["hard"], [2]],
  ])("%s", (_name, grades, expected) => {
    expect(intervals(grades)).toEqual(expected);
  });

  it("keeps what the progress file needs: stage, fingerprint, ISO dates, a count of reviews and lapses", () => {
    const first = scheduleReview(undefined, question("pick-one"), "basics", "good", start);
    const lapse = scheduleReview(first, question("pick-one"), "basics", "again", new Date(first.due));
    expect(first).toMatchObject({ stage: "basics", fingerprint: questionFingerprint(question("pick-one")), reps: 1, lapses: 0, last_review: start.toISOString() });
    expect(lapse).toMatchObject({ reps: 2, lapses: 1, last_review: first.due });
    expect(() => progressSchema.parse({ schema: 2, review: { "pick-one": lapse } })).not.toThrow();
  });

  it("a changed question starts over as a new card, whatever its old card said", () => {
    let card = scheduleReview(undefined, question("pick-one"), "basics", "good", start);
    for (let i = 0; i < 3; i++) card = scheduleReview(card, question("pick-one"), "basics", "good", new Date(card.due));
    const changed: Question = { ...question("pick-one"), prompt: "Which number is odd?", answer: "three" } as Question;
    const now = new Date(Date.parse(card.last_review!) + DAY);
    const fresh = scheduleReview(card, changed, "basics", "good", now);
    expect(card.reps).toBe(4);
    expect(fresh).toMatchObject({ reps: 1, lapses: 0, fingerprint: questionFingerprint(changed) });
    expect(days(now, fresh.due)).toBe(3);
  });
});

function answered(grades: Record<string, ReviewGrade>, at: Date, progress: Progress = emptyProgress()): Progress {
  return recordReviewAnswers(
    progress,
    Object.entries(grades).map(([id, grade]) => ({ question: question(id), stageId: "basics", grade })),
    at,
  );
}

describe("which cards are due (plain date comparisons)", () => {
  const progress = answered({ "pick-one": "good", "pick-many": "again", "true-or-false": "easy" }, start);
  const at = (offsetDays: number) => new Date(start.getTime() + offsetDays * DAY);

  it.each([
    [0, 0, 1, ["pick-many"]],
    [0.99, 0, 1, ["pick-many"]],
    [1, 1, 1, ["pick-one"]],
    [2.5, 1, 1, ["pick-one"]],
    [3, 2, 1, ["true-or-false"]],
    [20, 3, 0, []],
  ])("%s days after the quiz: %i due, then %i card(s) next: %j", (offset, due, nextCount, nextIds) => {
    const now = at(offset);
    const summary = summarizeReview(roadmap, progress, now);
    expect(summary).toMatchObject({ cards: 3, due, nextDueCount: nextCount });
    expect(dueItems(roadmap, progress, now)).toHaveLength(due);
    const next = summary.nextDue ? Object.entries(progress.review).filter(([, c]) => Date.parse(c.due) === summary.nextDue!.getTime()).map(([id]) => id) : [];
    expect(next).toEqual(nextIds);
  });

  it("serves the longest overdue first", () => {
    expect(dueItems(roadmap, progress, at(30)).map((item) => item.question.id)).toEqual(["pick-many", "pick-one", "true-or-false"]);
  });

  it("a card whose question changed is due now, first, and a removed question's card is never served", () => {
    const stored = progress.review["true-or-false"]!;
    const withChange: Progress = { ...progress, review: { ...progress.review, "true-or-false": { ...stored, fingerprint: "0000000000000000" }, "gone-question": stored } };
    const now = at(1);
    expect(dueItems(roadmap, withChange, now).map((item) => [item.question.id, item.changed])).toEqual([
      ["true-or-false", true],
      ["pick-many", false],
    ]);
    expect(summarizeReview(roadmap, withChange, now)).toMatchObject({ cards: 3, due: 2 });
  });

  it("reviewing changes only the answered cards and never the progress it was given", () => {
    const before = structuredClone(progress);
    const after = answered({ "pick-many": "good" }, at(1), progress);
    expect(progress).toEqual(before);
    expect(after.review["pick-one"]).toBe(progress.review["pick-one"]);
    expect(days(at(1), after.review["pick-many"]!.due)).toBe(3);
  });

  it("a progress file without review cards reads as none", () => {
    expect(progressSchema.parse({ schema: 2 }).review).toEqual({});
    expect(summarizeReview(roadmap, emptyProgress(), start)).toEqual({ cards: 0, due: 0, nextDue: null, nextDueCount: 0 });
  });
});

describe("suggestNext: due cards come before a new stage, never in the middle of one", () => {
  const passed = attemptOn(roadmap.stages[0]!.quiz.questions, start);
  const basicsDone = (p: Progress) =>
    recordQuizAttempt(setChecklistItems(markExercisePassed(markLessonRead(p, "basics", start), "add-numbers", start), "basics", { tick: ["read-docs", "write-function"] }, start), "basics", passed);
  const withCards = answered({ "pick-many": "again" }, start);
  const later = new Date(start.getTime() + 2 * DAY);

  it.each<[string, Progress, Date, string]>([
    ["nothing due: the next lesson", basicsDone(withCards), start, "learn"],
    ["cards due before the next stage's lesson: review", basicsDone(withCards), later, "review"],
    ["cards due mid-stage: the stage's own work first", markLessonRead(withCards, "basics", start), later, "exercise"],
    ["cards due, quiz not passed yet: the quiz first", markExercisePassed(setChecklistItems(markLessonRead(withCards, "basics", start), "basics", { tick: ["read-docs", "write-function"] }, start), "add-numbers", start), later, "quiz"],
  ])("%s", (_name, progress, now, kind) => {
    const step = suggestNext(roadmap, progress, now);
    expect(step.kind).toBe(kind);
    if (step.kind === "review") expect(step).toEqual({ kind: "review", due: 1, command: "roadmap review" });
  });
});
