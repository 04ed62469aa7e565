// Which review cards are due: plain date comparisons, no scheduler, so `status` and `next` stay fast.
// NOTE: nothing here may import ts-fsrs or the prompt library; schedule.ts is the module that does.
import type { Roadmap, Stage } from "../content/model.js";
import { shortHash } from "../hash.js";
import type { Question } from "../content/schema.js";
import type { Progress, ReviewCard } from "../progress/model.js";

/**
 * A hash of what makes the question the same question: type, prompt, code, options and answer. Option order is
 * left out (options are shuffled anyway); any change to the text or the answer changes the fingerprint.
 */
export function questionFingerprint(question: Question): string {
  // NOTE: a plain comparison, not localeCompare: its first call loads ICU collation, ~7 ms that `status` would pay.
  const options = question.type === "boolean" ? [] : [...question.options].sort((a, b) => (a.id < b.id ? -1 : 1)).map((o) => [o.id, o.text]);
  const answer = question.type === "multiple" ? [...question.answer].sort() : question.answer;
  const text = JSON.stringify([question.type, question.prompt, question.code ?? "", options, answer]);
  return shortHash(text);
}

export interface ReviewItem {
  question: Question;
  stage: Stage;
  card: ReviewCard;
  /** The question changed since it was answered: the card starts over, due at once. */
  changed: boolean;
}

/** Every card whose question is still in the roadmap (a removed question's card is kept but never served). */
export function reviewItems(roadmap: Roadmap, progress: Progress): ReviewItem[] {
  const items: ReviewItem[] = [];
  for (const stage of roadmap.stages) {
    for (const question of stage.quiz.questions) {
      const card = progress.review[question.id];
      if (card) items.push({ question, stage, card, changed: card.fingerprint !== questionFingerprint(question) });
    }
  }
  return items;
}

export function isDue(item: ReviewItem, now: Date): boolean {
  return item.changed || Date.parse(item.card.due) <= now.getTime();
}

/** Due cards, changed questions first, then the longest overdue; ties keep roadmap order. */
export function dueItems(roadmap: Roadmap, progress: Progress, now: Date): ReviewItem[] {
  const dueAt = (item: ReviewItem) => (item.changed ? -Infinity : Date.parse(item.card.due));
  return reviewItems(roadmap, progress)
    .filter((item) => isDue(item, now))
    .sort((a, b) => dueAt(a) - dueAt(b));
}

export interface ReviewSummary {
  /** Cards of questions still in the roadmap. */
  cards: number;
  due: number;
  /** When the next card not yet due becomes due, or null. */
  nextDue: Date | null;
  /** How many cards become due at that time. */
  nextDueCount: number;
}

export function summarizeReview(roadmap: Roadmap, progress: Progress, now: Date): ReviewSummary {
  const items = reviewItems(roadmap, progress);
  const later = items.filter((item) => !isDue(item, now)).map((item) => Date.parse(item.card.due));
  const next = later.length ? Math.min(...later) : null;
  return {
    cards: items.length,
    due: items.length - later.length,
    nextDue: next === null ? null : new Date(next),
    nextDueCount: later.filter((t) => t === next).length,
  };
}
