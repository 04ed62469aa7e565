// Pure migrations of older progress files to the current schema, applied on read. The file itself is rewritten
// only by the next change a command saves, so reading never writes.
import type * as z from "zod/mini";
import type { Progress } from "./model.js";
import { PROGRESS_SCHEMA } from "./model.js";
import type { progressSchema1 } from "./schema.js";

export type Progress1 = z.output<typeof progressSchema1>;

/**
 * Schema 1 → 2. Attempts lose their stored score, verdict and per-answer `correct` (all recomputed from the answers
 * now) and each answer gains the fingerprint of the question it answered. Schema 1 did not store that, but the
 * question's review card holds the fingerprint of the version last answered, in a quiz or a review: the migration
 * takes it for every schema-1 answer to that question. A question changed since then no longer matches it and
 * counts as not yet answered. (Only a question changed between two round-1 versions AND reviewed after the change
 * would be taken for answered; round 1 kept no record that could tell.) A recorded pass starts its history.
 */
export function migrateFromSchema1(old: Progress1): Progress {
  const quizzes: Progress["quizzes"] = {};
  for (const [stageId, attempts] of Object.entries(old.quizzes)) {
    quizzes[stageId] = attempts.map(({ at, answers }) => ({
      at,
      answers: Object.fromEntries(
        Object.entries(answers).map(([questionId, { given }]) => {
          const card = old.review[questionId];
          return [questionId, card?.stage === stageId ? { given, fingerprint: card.fingerprint } : { given }];
        }),
      ),
    }));
  }
  const exercises: Progress["exercises"] = {};
  for (const [exerciseId, entry] of Object.entries(old.exercises)) {
    exercises[exerciseId] = { ...entry, history: entry.passedAt ? [{ at: entry.passedAt, event: "passed" }] : [] };
  }
  return { schema: PROGRESS_SCHEMA, lessons: old.lessons, checklist: old.checklist, quizzes, exercises, review: old.review };
}
