// Where a learner stands on a stage's quiz, recomputed from the answers they gave: never from a stored score.
// Pure and cheap (no scheduler, no prompts): `status` and `next` call it for every stage.
import type { Question } from "../content/schema.js";
import type { QuizAttempt } from "../progress/model.js";
import { questionFingerprint } from "./due.js";
import { isCorrect, passes, type QuestionResult } from "./score.js";

export interface QuizStanding {
  /** Questions in the quiz now. */
  questions: number;
  /** Whether any attempt was recorded for the stage, whatever its answers count for now. */
  taken: boolean;
  /**
   * Right answers in the best standing reached: after each attempt, each question counts by the latest answer given
   * to it as it is now. A retake that goes worse does not undo a pass, as before; null when never taken.
   */
  bestCorrect: number | null;
  /** bestCorrect over `questions` (0 to 1), or null. */
  best: number | null;
  /** Right answers now: each question by its latest answer. */
  correct: number;
  /** The best standing meets the pass mark (a stage without questions has nothing to pass). */
  passed: boolean;
  /** Questions with no answer given to them as they are now (new, changed or replaced), in quiz order. */
  unanswered: Question[];
}

/**
 * Grades every stored answer against the current answer key. An answer counts only for the question as it was
 * asked: its fingerprint must match the question's now, so a changed or replaced question is not yet answered.
 */
export function quizStanding(quiz: { questions: readonly Question[]; pass_mark: number }, attempts: readonly QuizAttempt[]): QuizStanding {
  const current = new Map(quiz.questions.map((q) => [q.id, q]));
  // Fingerprints only of questions answered: hashing every question of every stage is most of `status`'s quiz work.
  const fingerprints = new Map<string, string>();
  const fingerprintOf = (question: Question) => fingerprints.get(question.id) ?? fingerprints.set(question.id, questionFingerprint(question)).get(question.id)!;
  /** Question id → whether its latest answer to the current version is right. */
  const latest = new Map<string, boolean>();
  let bestCorrect: number | null = null;
  for (const attempt of attempts) {
    for (const [id, answer] of Object.entries(attempt.answers)) {
      const now = current.get(id);
      if (now && answer.fingerprint === fingerprintOf(now)) latest.set(id, isCorrect(now, answer.given));
    }
    const correct = [...latest.values()].filter(Boolean).length;
    bestCorrect = Math.max(bestCorrect ?? 0, correct);
  }
  const questions = quiz.questions.length;
  return {
    questions,
    taken: attempts.length > 0,
    bestCorrect,
    best: bestCorrect === null ? null : questions ? bestCorrect / questions : 0,
    correct: [...latest.values()].filter(Boolean).length,
    passed: questions === 0 || (bestCorrect !== null && passes(bestCorrect, questions, quiz.pass_mark)),
    unanswered: quiz.questions.filter((q) => !latest.has(q.id)),
  };
}

/** What an attempt stores: each answer given, with the fingerprint of the question it answered. No verdict. */
export function quizAttempt(results: readonly QuestionResult[], at: Date): QuizAttempt {
  return {
    at: at.toISOString(),
    answers: Object.fromEntries(results.map((r) => [r.question.id, { given: r.given, fingerprint: questionFingerprint(r.question) }])),
  };
}
