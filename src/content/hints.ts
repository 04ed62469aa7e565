// Hints are progressive (each `roadmap hint` shows one more), and a hint may name the rules it helps with, so a
// failing check can point at the hint written for the rule it broke instead of the next one in line.
import type { Exercise } from "./model.js";
import type { ExerciseFrontMatter } from "./schema.js";

/** The front matter's hints as the model keeps them: the texts, and for each the rules it names. */
export function splitHints(hints: ExerciseFrontMatter["hints"]): { hints: string[]; hintRules: string[][] } {
  return {
    hints: hints.map((hint) => (typeof hint === "string" ? hint : hint.text)),
    hintRules: hints.map((hint) => (typeof hint === "string" ? [] : [...hint.rules])),
  };
}

export interface AimedHint {
  /** Index into exercise.hints. */
  index: number;
  rule: string;
}

/**
 * The hint aimed at the first failing rule (in the README's order of `failingRules`): the first hint that names
 * that rule and was not seen yet (the learner has seen hints 0 .. used-1), else the first one naming it at all.
 * undefined when no hint names a failing rule.
 */
export function hintFor(exercise: Pick<Exercise, "hints" | "hintRules">, failingRules: readonly string[], used: number): AimedHint | undefined {
  const mapped = exercise.hintRules ?? []; // a roadmap cached by an older build has no mapping
  for (const rule of failingRules) {
    const naming = exercise.hints.flatMap((_, index) => (mapped[index]?.includes(rule) ? [index] : []));
    if (naming.length === 0) continue;
    return { index: naming.find((index) => index >= used) ?? naming[0]!, rule };
  }
  return undefined;
}
