import { stageExercises, type Exercise, type Roadmap, type Stage } from "./content/model.js";
import type { Progress } from "./progress/model.js";
import { summarizeReview } from "./quiz/due.js";

export interface StageSummary {
  stage: Stage;
  lessonRead: boolean;
  checklist: { done: number; total: number };
  quiz: { questions: number; best: number | null; passed: boolean; passMark: number };
  exercises: { passed: number; total: number; optional: number };
  complete: boolean;
}

export type NextStep =
  | { kind: "learn"; stage: Stage; command: string }
  | { kind: "exercise"; stage: Stage; exercise: Exercise; command: string }
  | { kind: "checklist"; stage: Stage; remaining: number; command: string }
  | { kind: "quiz"; stage: Stage; command: string }
  | { kind: "review"; due: number; command: string }
  | { kind: "done" };

/** A step inside a stage's own work (or the end), before due review cards are weighed in. */
export type StageStep = Exclude<NextStep, { kind: "review" }>;

export function isExercisePassed(progress: Progress, exerciseId: string): boolean {
  return Boolean(progress.exercises[exerciseId]?.passedAt);
}

export function summarizeStage(roadmap: Roadmap, progress: Progress, stage: Stage): StageSummary {
  const ticked = progress.checklist[stage.id] ?? {};
  const checklistDone = stage.checklist.filter((item) => ticked[item.id]).length;
  const attempts = progress.quizzes[stage.id] ?? [];
  const best = attempts.length ? Math.max(...attempts.map((a) => a.score)) : null;
  const questions = stage.quiz.questions.length;
  const quizPassed = questions === 0 || attempts.some((a) => a.passed);
  const exercises = stageExercises(roadmap, stage);
  const required = exercises.filter((e) => !e.optional);
  const passed = required.filter((e) => isExercisePassed(progress, e.id)).length;
  return {
    stage,
    lessonRead: Boolean(progress.lessons[stage.id]),
    checklist: { done: checklistDone, total: stage.checklist.length },
    quiz: { questions, best, passed: quizPassed, passMark: stage.quiz.pass_mark },
    exercises: { passed, total: required.length, optional: exercises.length - required.length },
    complete: checklistDone === stage.checklist.length && quizPassed && passed === required.length,
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
    return { kind: "quiz", stage, command: `roadmap quiz ${stage.id}` };
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
