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

/** The hint aimed at the first rule (in the README's order) that a failing or erroring test names. */
export function hintForFailure(
  exercise: Pick<Exercise, "hints" | "hintRules" | "rules">,
  tests: readonly { outcome: string; rules?: readonly string[] }[],
  used: number,
): AimedHint | undefined {
  const failing = new Set(tests.filter((t) => t.outcome === "failed" || t.outcome === "error").flatMap((t) => t.rules ?? []));
  return hintFor(exercise, exercise.rules.map((rule) => rule.id).filter((id) => failing.has(id)), used);
}

/**
 * The hint `roadmap hint` shows: with a rule, the one aimed at it (seen or not: the learner asked for it); else, or
 * when no hint names the rule, the next one in line (the last once all are seen). `aimed` tells which it was.
 */
export function pickHint(exercise: Pick<Exercise, "hints" | "hintRules">, used: number, rule?: string): { index: number; aimed: boolean } {
  const forRule = rule === undefined ? undefined : hintFor(exercise, [rule], used);
  if (forRule) return { index: forRule.index, aimed: true };
  return { index: Math.min(used, exercise.hints.length - 1), aimed: false };
}
