import { randomInt } from "node:crypto";
import { loadContent, requireWorkspace, type GlobalOptions } from "../context.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { parseAnswersText, resolveAnswers } from "../quiz/answers.js";
import { dueItems, summarizeReview, type ReviewSummary } from "../quiz/due.js";
import { gradeFor, recordReviewAnswers } from "../quiz/schedule.js";
import { MAX_SEED, serveQuestions } from "../quiz/shuffle.js";
import { requireInteractive } from "../ui/prompts.js";
import { formatReviewDue, plural } from "../ui/quiz.js";
import { print, style } from "../ui/style.js";
import { askQuestions, readAnswers } from "./quiz.js";
import { wholeNumberOption } from "../whole-number.js";

export interface ReviewOptions extends GlobalOptions {
  limit?: string;
  /** `q1=a,q2=b+c`, a JSON object, or `-` for JSON on stdin: one answer for every card served. */
  answers?: string;
}

export const DEFAULT_REVIEW_LIMIT = 20;

/** Serves the due review cards across all stages, reschedules each with its answer, then says what comes next. */
export async function review(options: ReviewOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const limit = wholeNumberOption("--limit", options.limit, DEFAULT_REVIEW_LIMIT);
  const started = new Date();
  const progress = await readProgress(workspace);
  const due = dueItems(roadmap, progress, started);
  const served = due.slice(0, limit);
  const questions = served.map((item) => item.question);
  const given =
    options.answers === undefined ? undefined : resolveAnswers(questions, parseAnswersText(await readAnswers(options.answers)), "is not due for review now");

  if (!served.length) {
    const summary = summarizeReview(roadmap, progress, started);
    print(summary.cards ? "Nothing to review now." : "No review cards yet: every quiz question you answer becomes one (roadmap quiz).");
    printNextDue(summary, started);
    return;
  }
  if (!given) requireInteractive("Review", `roadmap review --answers "<question-id>=<option-id>,..."  (due now: ${questions.map((q) => q.id).join(", ")})`);

  const more = due.length - served.length;
  print(style.bold(`Review: ${plural(served.length, "card")} due`) + (more ? style.dim(`  (${more} more after these)`) : ""));
  const results = await askQuestions(serveQuestions(questions, randomInt(0, MAX_SEED)), given);

  // NOTE: saved only after the last answer, like the quiz: Ctrl+C leaves the cards as they were.
  const now = new Date();
  const stageOf = new Map(served.map((item) => [item.question.id, item.stage.id]));
  const answers = results.map((r) => ({ question: r.question, stageId: stageOf.get(r.question.id)!, grade: gradeFor(r.correct) }));
  const saved = await updateProgress(workspace, (p) => recordReviewAnswers(p, answers, now));

  const right = results.filter((r) => r.correct).length;
  print();
  print(`Reviewed ${plural(results.length, "card")}: ${right} right, ${results.length - right} to see again soon.`);
  printNextDue(summarizeReview(roadmap, saved, now), now);
}

function printNextDue(summary: ReviewSummary, now: Date): void {
  const due = formatReviewDue(summary, now);
  if (due) print(`Review cards: ${due}${summary.due ? " (roadmap review)" : ""}.`);
}
