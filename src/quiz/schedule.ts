// Spaced review with FSRS (ts-fsrs): the one module that loads the scheduler.
import { createEmptyCard, fsrs, Rating, type Card, type Grade } from "ts-fsrs";
import type { Question } from "../content/schema.js";
import { setReviewCards, type Progress, type ReviewCard } from "../progress/model.js";
import { questionFingerprint } from "./due.js";

// NOTE: short-term (minutes) learning steps are off. The learner has just read the explanation, so asking again
// ten minutes later tests short-term memory and would make `roadmap next` nag right after every quiz; with them
// off a wrong answer comes back the next day and right answers are spaced out in days, as FSRS computes.
const scheduler = fsrs({ enable_short_term: false, enable_fuzz: false });

export type ReviewGrade = "again" | "hard" | "good" | "easy";

const RATINGS: Record<ReviewGrade, Grade> = { again: Rating.Again, hard: Rating.Hard, good: Rating.Good, easy: Rating.Easy };

/** A wrong answer grades Again, a right one Good. */
export function gradeFor(correct: boolean): ReviewGrade {
  return correct ? "good" : "again";
}

function toCard(stored: ReviewCard): Card {
  const { stage: _stage, fingerprint: _fingerprint, due, last_review, ...rest } = stored;
  return { ...rest, due: new Date(due), last_review: last_review ? new Date(last_review) : undefined };
}

function fromCard(card: Card, stage: string, fingerprint: string): ReviewCard {
  const { due, last_review, ...rest } = card;
  return {
    stage,
    fingerprint,
    ...rest,
    due: due.toISOString(),
    ...(last_review ? { last_review: last_review.toISOString() } : {}),
  };
}

/** The card after one answer at `now`. A card whose question changed (fingerprint differs) starts over as new. */
export function scheduleReview(previous: ReviewCard | undefined, question: Question, stageId: string, grade: ReviewGrade, now: Date): ReviewCard {
  const fingerprint = questionFingerprint(question);
  const start = previous && previous.fingerprint === fingerprint ? toCard(previous) : createEmptyCard(now);
  return fromCard(scheduler.next(start, now, RATINGS[grade]).card, stageId, fingerprint);
}

export interface ReviewAnswer {
  question: Question;
  stageId: string;
  grade: ReviewGrade;
}

/** Pure transition: every answer (from a quiz or a review) reschedules its question's card. */
export function recordReviewAnswers(progress: Progress, answers: readonly ReviewAnswer[], now: Date): Progress {
  const cards: Record<string, ReviewCard> = {};
  for (const { question, stageId, grade } of answers) cards[question.id] = scheduleReview(progress.review[question.id], question, stageId, grade, now);
  return setReviewCards(progress, cards);
}
