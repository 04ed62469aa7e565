// The shape of .roadmap/progress.json, checked whenever the file is read and it changed since the last check.
// Loaded only then (src/progress/store.ts), so a command that reads unchanged progress never loads zod.
import "../validation.js";
import * as z from "zod/mini";
import { PROGRESS_SCHEMA } from "./model.js";

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
