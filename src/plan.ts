import { stageExercises, type Exercise, type Roadmap, type Stage } from "./content/model.js";
import type { Progress } from "./progress/model.js";
import type { Readiness } from "./python-ready.js";
import { summarizeReview } from "./quiz/due.js";
import { quizStanding } from "./quiz/standing.js";

export interface StageSummary {
  stage: Stage;
  lessonRead: boolean;
  checklist: { done: number; total: number };
  /**
   * Recomputed from the answers (src/quiz/standing.ts). best: the best share right, null before any attempt.
   * unanswered: questions with no answer to them as they are now (all of them before the first attempt).
   */
  quiz: { questions: number; best: number | null; passed: boolean; passMark: number; taken: boolean; unanswered: number };
  exercises: { passed: number; total: number; optional: number };
  /** Anything recorded for the stage: its lesson read, an item ticked, a quiz attempt, an exercise worked on. */
  started: boolean;
  complete: boolean;
}

export type NextStep =
  | { kind: "learn"; stage: Stage; command: string }
  | { kind: "exercise"; stage: Stage; exercise: Exercise; command: string }
  | { kind: "checklist"; stage: Stage; remaining: number; command: string }
  /** toAnswer: the quiz was taken and this many questions are new or changed since (0: the whole quiz). */
  | { kind: "quiz"; stage: Stage; toAnswer: number; command: string }
  | { kind: "review"; due: number; command: string }
  /** The next step is an exercise, but the verifiers' Python is missing or lacks a package it needs: fix that first. */
  | { kind: "setup"; stage: Stage; exercise: Exercise; reason: string; command: "roadmap setup" | "roadmap doctor" }
  | { kind: "done" };

/** A step inside a stage's own work (or the end), before due review cards are weighed in. */
export type StageStep = Exclude<NextStep, { kind: "review" | "setup" }>;

export function isExercisePassed(progress: Progress, exerciseId: string): boolean {
  return Boolean(progress.exercises[exerciseId]?.passedAt);
}

/** Whether an exercise was ever worked on: passed now or before, a hint taken, the solution seen. */
function exerciseTouched(progress: Progress, exerciseId: string): boolean {
  const entry = progress.exercises[exerciseId];
  return Boolean(entry && (entry.passedAt || entry.history.length || entry.hintsUsed || entry.solutionViewedAt));
}

/** Counts only what the roadmap has now: a tick of a removed checklist item, or an answer to a changed question, is no progress. */
export function summarizeStage(roadmap: Roadmap, progress: Progress, stage: Stage): StageSummary {
  const ticked = progress.checklist[stage.id] ?? {};
  const checklistDone = stage.checklist.filter((item) => ticked[item.id]).length;
  const quiz = quizStanding(stage.quiz, progress.quizzes[stage.id] ?? []);
  const exercises = stageExercises(roadmap, stage);
  const required = exercises.filter((e) => !e.optional);
  const passed = required.filter((e) => isExercisePassed(progress, e.id)).length;
  const lessonRead = Boolean(progress.lessons[stage.id]);
  return {
    stage,
    lessonRead,
    checklist: { done: checklistDone, total: stage.checklist.length },
    quiz: { questions: quiz.questions, best: quiz.best, passed: quiz.passed, passMark: stage.quiz.pass_mark, taken: quiz.taken, unanswered: quiz.unanswered.length },
    exercises: { passed, total: required.length, optional: exercises.length - required.length },
    started: lessonRead || checklistDone > 0 || quiz.taken || exercises.some((e) => exerciseTouched(progress, e.id)),
    complete: checklistDone === stage.checklist.length && quiz.passed && passed === required.length,
  };
}

/** Share of the roadmap done, counting each checklist item, required exercise and quiz as one unit. */
export function overallShare(summaries: StageSummary[]): number {
  let done = 0;
  let total = 0;
  for (const s of summaries) {
    done += s.checklist.done + s.exercises.passed + (s.quiz.questions && s.quiz.passed ? 1 : 0);
    total += s.checklist.total + s.exercises.total + (s.quiz.questions ? 1 : 0);
  }
  return total === 0 ? 1 : done / total;
}

/**
 * The single next step: within the first unfinished stage, read the lesson, solve the exercises in order,
 * tick the checklist, then pass the quiz.
 */
export function planNext(roadmap: Roadmap, progress: Progress): StageStep {
  for (const stage of roadmap.stages) {
    const summary = summarizeStage(roadmap, progress, stage);
    if (summary.complete) continue;
    if (!summary.lessonRead) return { kind: "learn", stage, command: `roadmap learn ${stage.id}` };
    const exercise = stageExercises(roadmap, stage).find((e) => !e.optional && !isExercisePassed(progress, e.id));
    if (exercise) return { kind: "exercise", stage, exercise, command: `roadmap check ${exercise.id}` };
    if (summary.checklist.done < summary.checklist.total) {
      return { kind: "checklist", stage, remaining: summary.checklist.total - summary.checklist.done, command: `roadmap checklist ${stage.id}` };
    }
    const toAnswer = summary.quiz.taken ? summary.quiz.unanswered : 0;
    return { kind: "quiz", stage, toAnswer, command: `roadmap quiz ${stage.id}` };
  }
  return { kind: "done" };
}

/**
 * The next step with spaced review weighed in: due cards come before starting a new stage (its lesson) and after
 * the last stage. Work inside a stage already started (its exercises, checklist and quiz) comes first.
 */
export function suggestNext(roadmap: Roadmap, progress: Progress, now: Date): NextStep {
  const step = planNext(roadmap, progress);
  if (step.kind !== "learn" && step.kind !== "done") return step;
  const { due } = summarizeReview(roadmap, progress, now);
  return due ? { kind: "review", due, command: "roadmap review" } : step;
}

/** The stage the learner is working in: the next step's stage, or the first stage once all is done. */
export function currentStage(roadmap: Roadmap, progress: Progress): Stage {
  const step = planNext(roadmap, progress);
  return step.kind === "done" ? roadmap.stages[0]! : step.stage;
}

/** An exercise step waits for a Python that is ready for it: `roadmap setup` first (or `roadmap doctor`). */
export function setupFirst(step: NextStep, readiness: Readiness): NextStep {
  if (step.kind !== "exercise" || readiness.ready) return step;
  return { kind: "setup", stage: step.stage, exercise: step.exercise, reason: readiness.reason, command: `roadmap ${readiness.fix}` };
}
