// Quiz and review text for the terminal: strings only, the prompts live in prompts.ts.
import type { Question } from "../content/schema.js";
import type { ReviewSummary } from "../quiz/due.js";
import { correctAnswer, type Given, type QuestionResult, type QuizScore } from "../quiz/score.js";
import type { ServedQuestion } from "../quiz/shuffle.js";
import { percent } from "./format.js";
import { plain, style } from "./style.js";

/** A code snippet under a dim gutter of line numbers; highlighted as Python on a colour terminal. */
export async function formatCode(code: string): Promise<string> {
  let text = code.replace(/\s+$/, "");
  if (!plain) {
    text = (await loadHighlight())(text, { language: "python", ignoreIllegals: true });
  }
  const lines = text.split("\n");
  const width = String(lines.length).length;
  return lines.map((line, i) => `  ${style.dim(`${String(i + 1).padStart(width)} ${plain ? "|" : "│"}`)} ${line}`).join("\n");
}

type Highlight = (code: string, options: { language: string; ignoreIllegals: boolean }) => string;

/** cli-highlight is CommonJS: the bundle sees its exports under `default`, plain Node (tests) as named exports. */
async function loadHighlight(): Promise<Highlight> {
  const loaded = (await import("cli-highlight")) as unknown as { highlight?: Highlight; default: { highlight?: Highlight } };
  return loaded.highlight ?? loaded.default.highlight!;
}

const KIND: Record<Question["type"], string> = { single: "pick one", multiple: "select all that apply", boolean: "true or false" };

export function formatQuestionTitle(served: ServedQuestion, index: number, total: number): string {
  return `\n${style.bold(`Question ${index + 1}/${total}`)} ${style.dim(`(${KIND[served.question.type]}, ${served.question.id})`)}`;
}

/** The given or right answer in words: option texts in the order they were shown, or True/False. */
export function answerText(served: ServedQuestion, given: Given): string {
  if (typeof given === "boolean") return given ? "True" : "False";
  return served.options.filter((o) => given.includes(o.id)).map((o) => o.text).join("; ") || "(nothing)";
}

export function formatFeedback(served: ServedQuestion, result: QuestionResult): string {
  const explanation = indent(served.question.explanation.trim());
  if (result.correct) return `  ${style.green(plain ? "Right:" : "✔ Right:")} ${answerText(served, result.given)}\n${explanation}`;
  const answer = answerText(served, correctAnswer(served.question));
  return `  ${style.red(plain ? "Wrong." : "✘ Wrong.")} You chose: ${answerText(served, result.given)}. The answer: ${style.bold(answer)}\n${explanation}`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${style.dim(line)}`)
    .join("\n");
}

export function formatScore(score: QuizScore, passMark: number): string {
  const line = `Score ${score.correct}/${score.total} (${percent(score.score)})`;
  return score.passed
    ? `${style.green.bold(`${line}: passed.`)} The pass mark is ${percent(passMark)}.`
    : `${style.red.bold(`${line}: not passed yet.`)} The pass mark is ${percent(passMark)}.`;
}

export function formatRevisit(wrong: readonly QuestionResult[]): string[] {
  if (!wrong.length) return [];
  return ["Revisit:", ...wrong.map((r) => `  - ${r.question.id}: ${r.question.prompt.trim().split("\n")[0]}`)];
}

/** "in 3 days (2026-11-29)", "in 5 hours", "in 12 minutes", or "now". */
export function formatWhen(when: Date, now: Date): string {
  const minutes = Math.round((when.getTime() - now.getTime()) / 60_000);
  if (minutes <= 0) return "now";
  if (minutes < 90) return `in ${plural(minutes, "minute")}`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `in ${plural(hours, "hour")}`;
  return `in ${plural(Math.round(hours / 24), "day")} (${when.toISOString().slice(0, 10)})`;
}

/** "3 cards due now", "1 card due in 24 hours", or null when there are no cards at all. */
export function formatReviewDue(summary: ReviewSummary, now: Date): string | null {
  if (summary.due) return `${plural(summary.due, "card")} due now`;
  if (summary.nextDue) return `${plural(summary.nextDueCount, "card")} due ${formatWhen(summary.nextDue, now)}`;
  return null;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
