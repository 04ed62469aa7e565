import type * as z from "zod/mini";
import type { exerciseProgressSchema, progressSchema, quizAttemptSchema, reviewCardSchema } from "./schema.js";

/**
 * The newest progress schema this version writes; a file with a newer one is refused, never rewritten. 2: quiz
 * attempts keep only answers (with question fingerprints), exercises a history of passes and resets.
 */
export const PROGRESS_SCHEMA = 2;

// The types come from the schemas (src/progress/schema.ts), imported for their types only: no zod at run time.
export type Progress = z.output<typeof progressSchema>;
export type QuizAttempt = z.output<typeof quizAttemptSchema>;
export type ExerciseProgress = z.output<typeof exerciseProgressSchema>;
export type ReviewCard = z.output<typeof reviewCardSchema>;

export function emptyProgress(): Progress {
  return { schema: PROGRESS_SCHEMA, lessons: {}, checklist: {}, quizzes: {}, exercises: {}, review: {} };
}

// Pure transitions: old progress in, new progress out. The store applies them under a lock.

export function markLessonRead(progress: Progress, stageId: string, now: Date): Progress {
  if (progress.lessons[stageId]) return progress;
  return { ...progress, lessons: { ...progress.lessons, [stageId]: now.toISOString() } };
}

export function setChecklistItems(
  progress: Progress,
  stageId: string,
  changes: { tick?: string[]; untick?: string[] },
  now: Date,
): Progress {
  const items = { ...progress.checklist[stageId] };
  for (const itemId of changes.tick ?? []) items[itemId] ??= now.toISOString();
  for (const itemId of changes.untick ?? []) delete items[itemId];
  return { ...progress, checklist: { ...progress.checklist, [stageId]: items } };
}

export function recordQuizAttempt(progress: Progress, stageId: string, attempt: QuizAttempt): Progress {
  const attempts = [...(progress.quizzes[stageId] ?? []), attempt];
  return { ...progress, quizzes: { ...progress.quizzes, [stageId]: attempts } };
}

/** Replaces the review cards of the given question ids; the others stay as they are. */
export function setReviewCards(progress: Progress, cards: Record<string, ReviewCard>): Progress {
  return { ...progress, review: { ...progress.review, ...cards } };
}

function updateExercise(progress: Progress, exerciseId: string, change: (old: ExerciseProgress) => ExerciseProgress): Progress {
  const old = progress.exercises[exerciseId] ?? { hintsUsed: 0, history: [] };
  return { ...progress, exercises: { ...progress.exercises, [exerciseId]: change(old) } };
}

/** Keeps the first pass time: a later re-check does not make the learner look newer to it, nor add to the history. */
export function markExercisePassed(progress: Progress, exerciseId: string, now: Date): Progress {
  if (progress.exercises[exerciseId]?.passedAt) return progress;
  const at = now.toISOString();
  return updateExercise(progress, exerciseId, (old) => ({ ...old, passedAt: at, history: [...old.history, { at, event: "passed" }] }));
}

/**
 * `roadmap reset`: the exercise no longer counts as passed (its files are the starter again), so a later `roadmap ci`
 * does not call its failing starter a regression. The history keeps the pass and records the reset.
 */
export function recordExerciseReset(progress: Progress, exerciseId: string, now: Date): Progress {
  return updateExercise(progress, exerciseId, ({ passedAt: _counted, ...old }) => ({
    ...old,
    history: [...old.history, { at: now.toISOString(), event: "reset" }],
  }));
}

export function recordHintUsed(progress: Progress, exerciseId: string, hintsUsed: number): Progress {
  return updateExercise(progress, exerciseId, (old) => ({ ...old, hintsUsed: Math.max(old.hintsUsed, hintsUsed) }));
}

export function recordSolutionViewed(progress: Progress, exerciseId: string, now: Date): Progress {
  return updateExercise(progress, exerciseId, (old) => ({ ...old, solutionViewedAt: old.solutionViewedAt ?? now.toISOString() }));
}
