import type { Question } from "../content/schema.js";

export interface Option {
  id: string;
  text: string;
}

/** A question as served in one attempt: its options in this attempt's order (none for true/false). */
export interface ServedQuestion {
  question: Question;
  options: Option[];
}

/** mulberry32: a tiny seeded PRNG, so `--seed` gives the same order on every machine and Node version. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * Questions keep their authored order (a stage's quiz builds up); each question's options are shuffled. Answers
 * are option ids, so any order leaves them right.
 */
export function serveQuestions(questions: readonly Question[], seed: number): ServedQuestion[] {
  const random = seededRandom(seed);
  return questions.map((question) => ({ question, options: question.type === "boolean" ? [] : shuffled(question.options, random) }));
}

export const MAX_SEED = 0xffffffff;
