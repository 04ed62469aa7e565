import "../validation.js";
import * as z from "zod/mini";

/** The newest progress schema this version writes; a file with a newer one is refused, never rewritten. */
export const PROGRESS_SCHEMA = 1;

const isoTime = z.string();

export const quizAttemptSchema = z.object({
  at: isoTime,
  score: z.number().check(z.gte(0), z.lte(1)),
  passed: z.boolean(),
  /** Per question id: whether it was answered right, and the option ids (or boolean) given. */
  answers: z.record(z.string(), z.object({ correct: z.boolean(), given: z.union([z.array(z.string()), z.boolean()]) })),
});

export const exerciseProgressSchema = z.object({
  passedAt: z.optional(isoTime),
  hintsUsed: z._default(z.int().check(z.gte(0)), 0),
  solutionViewedAt: z.optional(isoTime),
});

/**
 * A quiz question's spaced-review state: the fields of a ts-fsrs card (dates as ISO strings), plus the stage it
 * belongs to and a fingerprint of the question as it was answered, so a changed question is asked again.
 */
export const reviewCardSchema = z.object({
  stage: z.string(),
  fingerprint: z.string(),
  due: isoTime,
  stability: z.number(),
  difficulty: z.number(),
  elapsed_days: z.number(),
  scheduled_days: z.number(),
  learning_steps: z.number(),
  reps: z.int().check(z.gte(0)),
  lapses: z.int().check(z.gte(0)),
  /** ts-fsrs State: 0 new, 1 learning, 2 review, 3 relearning. */
  state: z.int().check(z.gte(0), z.lte(3)),
  last_review: z.optional(isoTime),
});

export const progressSchema = z.object({
  schema: z.literal(PROGRESS_SCHEMA),
  lessons: z._default(z.record(z.string(), isoTime), {}),
  /** stage id → checklist item id → when it was ticked. */
  checklist: z._default(z.record(z.string(), z.record(z.string(), isoTime)), {}),
  /** stage id → attempts, oldest first. */
  quizzes: z._default(z.record(z.string(), z.array(quizAttemptSchema)), {}),
  exercises: z._default(z.record(z.string(), exerciseProgressSchema), {}),
  /** question id → review card. Optional with a default, so files without it still read as schema 1. */
  review: z._default(z.record(z.string(), reviewCardSchema), {}),
});

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
  const old = progress.exercises[exerciseId] ?? { hintsUsed: 0 };
  return { ...progress, exercises: { ...progress.exercises, [exerciseId]: change(old) } };
}

/** Keeps the first pass time: a later re-check does not make the learner look newer to it. */
export function markExercisePassed(progress: Progress, exerciseId: string, now: Date): Progress {
  return updateExercise(progress, exerciseId, (old) => ({ ...old, passedAt: old.passedAt ?? now.toISOString() }));
}

export function recordHintUsed(progress: Progress, exerciseId: string, hintsUsed: number): Progress {
  return updateExercise(progress, exerciseId, (old) => ({ ...old, hintsUsed: Math.max(old.hintsUsed, hintsUsed) }));
}

export function recordSolutionViewed(progress: Progress, exerciseId: string, now: Date): Progress {
  return updateExercise(progress, exerciseId, (old) => ({ ...old, solutionViewedAt: old.solutionViewedAt ?? now.toISOString() }));
}
