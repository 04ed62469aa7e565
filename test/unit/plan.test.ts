import { describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import { markExercisePassed, markLessonRead, recordQuizAttempt, setChecklistItems, emptyProgress, type Progress } from "../../src/progress/model.js";
import { overallShare, planNext, summarizeStage } from "../../src/plan.js";
import { fixtureCourse } from "../helpers.js";
import { attemptOn } from "./attempts.js";

const roadmap = await loadRoadmap(fixtureCourse);
const now = new Date("2026-01-02T03:04:05Z");
const questions = roadmap.stages[0]!.quiz.questions;
const passedQuiz = attemptOn(questions, now);
const failedQuiz = attemptOn(questions, now, ["pick-one", "pick-many"]);

type Step = (p: Progress) => Progress;
const read = (stage: string): Step => (p) => markLessonRead(p, stage, now);
const pass = (exercise: string): Step => (p) => markExercisePassed(p, exercise, now);
const tick = (stage: string, ...items: string[]): Step => (p) => setChecklistItems(p, stage, { tick: items }, now);
const quiz = (stage: string, attempt = passedQuiz): Step => (p) => recordQuizAttempt(p, stage, attempt);
const progressAfter = (...steps: Step[]) => steps.reduce((p, step) => step(p), emptyProgress());
const basicsDone = [read("basics"), pass("add-numbers"), tick("basics", "read-docs", "write-function"), quiz("basics")];

describe("planNext", () => {
  it.each([
    ["a new learner reads the first lesson", [], "learn", "roadmap learn basics"],
    ["then solves the stage's exercise", [read("basics")], "exercise", "roadmap check add-numbers"],
    ["then ticks the checklist", [read("basics"), pass("add-numbers")], "checklist", "roadmap checklist basics"],
    ["a half-ticked checklist is still next", [read("basics"), pass("add-numbers"), tick("basics", "read-docs")], "checklist", "roadmap checklist basics"],
    ["then takes the quiz", [read("basics"), pass("add-numbers"), tick("basics", "read-docs", "write-function")], "quiz", "roadmap quiz basics"],
    ["a failed quiz is still next", [...basicsDone.slice(0, 3), quiz("basics", failedQuiz)], "quiz", "roadmap quiz basics"],
    ["a finished stage leads to the next lesson", basicsDone, "learn", "roadmap learn advanced"],
    ["a stage without a quiz is done after its checklist", [...basicsDone, read("advanced"), pass("greet")], "checklist", "roadmap checklist advanced"],
  ])("%s", (_name, steps, kind, command) => {
    const step = planNext(roadmap, progressAfter(...steps));
    expect(step.kind).toBe(kind);
    expect("command" in step && step.command).toBe(command);
  });

  it("says done when everything is done", () => {
    const progress = progressAfter(...basicsDone, read("advanced"), pass("greet"), tick("advanced", "ship-it"));
    expect(planNext(roadmap, progress)).toEqual({ kind: "done" });
    expect(overallShare(roadmap.stages.map((s) => summarizeStage(roadmap, progress, s)))).toBe(1);
  });

  it("ignores progress for ids the roadmap no longer has", () => {
    const progress = progressAfter(tick("basics", "removed-item"), pass("removed-exercise"));
    const summary = summarizeStage(roadmap, progress, roadmap.stages[0]!);
    expect(summary.checklist).toEqual({ done: 0, total: 2 });
    expect(summary.exercises).toEqual({ passed: 0, total: 1, optional: 0 });
  });
});

describe("summarizeStage", () => {
  it("counts checklist, best quiz score and exercises", () => {
    const progress = progressAfter(tick("basics", "read-docs"), quiz("basics", failedQuiz), quiz("basics", attemptOn(questions, now, ["pick-one", "pick-many", "true-or-false"])));
    const summary = summarizeStage(roadmap, progress, roadmap.stages[0]!);
    expect(summary.checklist).toEqual({ done: 1, total: 2 });
    expect(summary.quiz).toMatchObject({ questions: 3, best: 1 / 3, passed: false, passMark: 0.6, taken: true, unanswered: 0 });
    expect(summary.complete).toBe(false);
    expect(overallShare([summary])).toBeCloseTo(1 / 4);
  });
});
