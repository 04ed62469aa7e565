// The shape of .roadmap/progress.json, checked whenever the file is read and it changed since the last check.
// Loaded only then (src/progress/store.ts), so a command that reads unchanged progress never loads zod.
import "../validation.js";
import * as z from "zod/mini";
import { PROGRESS_SCHEMA } from "./model.js";

const isoTime = z.string();
const given = z.union([z.array(z.string()), z.boolean()]);

/**
 * One quiz attempt: the answers given, nothing judged. Whether an answer is right, and what the quiz scores, is
 * recomputed from them against the current answer key (src/quiz/standing.ts), so a hand-edited score changes nothing.
 */
export const quizAttemptSchema = z.object({
  at: isoTime,
  /**
   * Per question id: the option ids (or boolean) given, and the fingerprint of the question as it was asked. An
   * answer without one (from a schema-1 file whose question had no review card) counts for no version.
   */
  answers: z.record(z.string(), z.object({ given, fingerprint: z.optional(z.string()) })),
});

/** What happened to an exercise's pass, oldest first: recorded by a check, or taken back by `roadmap reset`. */
export const exerciseEventSchema = z.object({ at: isoTime, event: z.enum(["passed", "reset"]) });

export const exerciseProgressSchema = z.object({
  /** The pass that counts now; `roadmap reset` removes it (the history keeps it). */
  passedAt: z.optional(isoTime),
  hintsUsed: z._default(z.int().check(z.gte(0)), 0),
  solutionViewedAt: z.optional(isoTime),
  history: z._default(z.array(exerciseEventSchema), []),
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

const common = {
  lessons: z._default(z.record(z.string(), isoTime), {}),
  /** stage id → checklist item id → when it was ticked. Only items the roadmap still has count. */
  checklist: z._default(z.record(z.string(), z.record(z.string(), isoTime)), {}),
  /** question id → review card. */
  review: z._default(z.record(z.string(), reviewCardSchema), {}),
};

export const progressSchema = z.object({
  schema: z.literal(PROGRESS_SCHEMA),
  ...common,
  /** stage id → attempts, oldest first. */
  quizzes: z._default(z.record(z.string(), z.array(quizAttemptSchema)), {}),
  exercises: z._default(z.record(z.string(), exerciseProgressSchema), {}),
});

/** Schema 1 (round 1): attempts stored their own score and verdict, and a pass had no history. Read, then migrated. */
export const progressSchema1 = z.object({
  schema: z.literal(1),
  ...common,
  quizzes: z._default(
    z.record(
      z.string(),
      z.array(
        z.object({
          at: isoTime,
          score: z.number().check(z.gte(0), z.lte(1)),
          passed: z.boolean(),
          answers: z.record(z.string(), z.object({ correct: z.boolean(), given })),
        }),
      ),
    ),
    {},
  ),
  exercises: z._default(
    z.record(
      z.string(),
      z.object({ passedAt: z.optional(isoTime), hintsUsed: z._default(z.int().check(z.gte(0)), 0), solutionViewedAt: z.optional(isoTime) }),
    ),
    {},
  ),
});
