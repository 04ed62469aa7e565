import type { Question } from "../content/schema.js";
import { UserError } from "../errors.js";
import type { Given } from "./score.js";

/** An answer as typed, before it is checked against its question. */
export type RawAnswer = string | boolean | string[];

/**
 * Reads `q1=a,q2=b+c,q3=true` (the `--answers` flag) or a JSON object `{"q1": "a", "q2": ["b", "c"], "q3": true}`
 * (`--answers -` on stdin, or the flag itself).
 */
export function parseAnswersText(text: string): Record<string, RawAnswer> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return parseAnswersJson(trimmed);
  const answers: Record<string, RawAnswer> = {};
  for (const pair of trimmed.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UserError(`--answers: "${pair}" is not question-id=answer`, 2, ANSWERS_FORMAT);
    const id = pair.slice(0, eq).trim();
    if (id in answers) throw new UserError(`--answers: question "${id}" is answered twice`, 2, ANSWERS_FORMAT);
    answers[id] = pair.slice(eq + 1).split("+").map((v) => v.trim()).filter(Boolean);
  }
  return answers;
}

const ANSWERS_FORMAT = 'Answers look like: --answers "q1=a,q2=b+c,q3=true" (option ids; + joins the choices of a select-all question)';

function parseAnswersJson(text: string): Record<string, RawAnswer> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`--answers: not valid JSON (${(error as Error).message})`, 2, 'JSON answers look like: {"q1": "a", "q2": ["b", "c"], "q3": true}');
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new UserError("--answers: JSON answers must be an object of question id → answer", 2);
  for (const [id, value] of Object.entries(data)) {
    const ok = typeof value === "string" || typeof value === "boolean" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) throw new UserError(`--answers: the answer to "${id}" must be an option id, a list of option ids, or true/false`, 2);
  }
  return data as Record<string, RawAnswer>;
}

/**
 * Checks raw answers against the questions served: every question answered, no unknown question or option id.
 * `unknownQuestion` says what an id outside the list means ("is not in this quiz", "is not due for review").
 */
export function resolveAnswers(questions: readonly Question[], raw: Record<string, RawAnswer>, unknownQuestion: string): Map<string, Given> {
  const known = new Set(questions.map((q) => q.id));
  const unknown = Object.keys(raw).filter((id) => !known.has(id));
  if (unknown.length) {
    throw new UserError(`--answers: question "${unknown[0]}" ${unknownQuestion}`, 2, `Questions: ${[...known].join(", ") || "(none)"}`);
  }
  const missing = questions.filter((q) => !(q.id in raw) || isEmpty(raw[q.id]!));
  if (missing.length) {
    throw new UserError(`--answers: no answer for ${missing.map((q) => `"${q.id}"`).join(", ")}`, 2, "Answer every question (each one at least one option).");
  }
  return new Map(questions.map((q) => [q.id, resolveAnswer(q, raw[q.id]!)]));
}

function isEmpty(value: RawAnswer): boolean {
  return typeof value === "string" ? value.trim() === "" : Array.isArray(value) && value.length === 0;
}

function resolveAnswer(question: Question, value: RawAnswer): Given {
  const values = typeof value === "boolean" ? value : typeof value === "string" ? [value] : value;
  if (question.type === "boolean") {
    const text = typeof values === "boolean" ? String(values) : values.length === 1 ? values[0]!.toLowerCase() : "";
    if (text !== "true" && text !== "false") throw new UserError(`--answers: question "${question.id}" takes true or false`, 2);
    return text === "true";
  }
  const optionIds = question.options.map((o) => o.id);
  if (typeof values === "boolean") {
    throw new UserError(`--answers: question "${question.id}" takes option ids (${optionIds.join(", ")}), not ${values}`, 2);
  }
  const bad = values.find((id) => !optionIds.includes(id));
  if (bad !== undefined) throw new UserError(`--answers: question "${question.id}" has no option "${bad}"`, 2, `Options: ${optionIds.join(", ")}`);
  const ids = [...new Set(values)];
  if (question.type === "single" && ids.length > 1) {
    throw new UserError(`--answers: question "${question.id}" takes exactly one option, not ${ids.join("+")}`, 2);
  }
  return ids;
}

/** The shape of an `--answers` value for these questions, for error hints (placeholders, never the answers). */
export function answersTemplate(questions: readonly Question[]): string {
  const placeholder = { single: "<option-id>", multiple: "<option-id>+<option-id>", boolean: "true|false" } as const;
  return questions.map((q) => `${q.id}=${placeholder[q.type]}`).join(",");
}
