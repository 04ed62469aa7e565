import { randomInt } from "node:crypto";
import type { Stage } from "../content/model.js";
import type { Question } from "../content/schema.js";
import { loadContent, requireWorkspace, resolveStage, type GlobalOptions } from "../context.js";
import { ExitError, UserError } from "../errors.js";
import { currentStage } from "../plan.js";
import { recordQuizAttempt } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { answersTemplate, parseAnswersText, resolveAnswers, type RawAnswer } from "../quiz/answers.js";
import { summarizeReview } from "../quiz/due.js";
import { recordReviewAnswers, gradeFor } from "../quiz/schedule.js";
import { gradeAnswer, quizScore, type Given, type QuestionResult } from "../quiz/score.js";
import { MAX_SEED, serveQuestions, type ServedQuestion } from "../quiz/shuffle.js";
import { quizAttempt, quizStanding } from "../quiz/standing.js";
import { percent } from "../ui/format.js";
import { checkbox, requireInteractive, select } from "../ui/prompts.js";
import { answerText, formatCode, formatFeedback, formatQuestionTitle, formatReviewDue, formatRevisit, formatScore, plural } from "../ui/quiz.js";
import { print, style } from "../ui/style.js";

export interface QuizOptions extends GlobalOptions {
  seed?: string;
  /** `q1=a,q2=b+c,q3=true`, a JSON object, or `-` for JSON on stdin. */
  answers?: string;
  /** Retake every question, not only the ones new or changed since the quiz was taken. */
  all?: boolean;
}

/**
 * Asks a stage's quiz (default: the stage `roadmap next` is in); saves the attempt only once it is complete. A quiz
 * taken before whose questions changed asks only the new or changed ones: the answers to the others still count.
 */
export async function quiz(stageArg: string | undefined, options: QuizOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  // NOTE: progress is read before the first question even when the stage is named: a corrupt file stops the quiz
  // now, not after every question has been answered.
  const progress = await readProgress(workspace);
  const stage = stageArg ? resolveStage(roadmap, stageArg) : currentStage(roadmap, progress);
  const { questions, pass_mark: passMark } = stage.quiz;
  if (!questions.length) {
    const withQuiz = roadmap.stages.filter((s) => s.quiz.questions.length).map((s) => s.id);
    throw new UserError(`stage ${stage.id} (${stage.title}) has no quiz questions.`, 2, `Stages with a quiz: ${withQuiz.join(", ") || "none"}`);
  }
  const before = quizStanding(stage.quiz, progress.quizzes[stage.id] ?? []);
  const asked = !options.all && before.taken && before.unanswered.length ? before.unanswered : questions;
  const earlier = questions.length - asked.length;
  const seed = parseSeed(options.seed);
  const given = options.answers === undefined ? undefined : resolveQuizAnswers(stage, asked, parseAnswersText(await readAnswers(options.answers)));
  if (!given) requireInteractive("The quiz", `roadmap quiz ${stage.id} --answers "${answersTemplate(asked)}"`);

  const scope = earlier
    ? `${plural(asked.length, "new or changed question")} of ${questions.length} (your answers to the other ${earlier} still count; --all retakes every question)`
    : plural(questions.length, "question");
  print(style.bold(`Quiz: ${stage.title}, ${scope}, pass mark ${percent(passMark)}`) + style.dim(`  (--seed ${seed} repeats this order)`));
  const results = await askQuestions(serveQuestions(asked, seed), given);

  // NOTE: saved only now, after the last answer: Ctrl+C half-way leaves the progress file as it was.
  const now = new Date();
  const saved = await updateProgress(workspace, (p) => recordReviewAnswers(recordQuizAttempt(p, stage.id, quizAttempt(results, now)), reviewAnswers(results, stage), now));
  // The score counts every question by its latest answer: these, and for a partial quiz the earlier ones.
  const { correct } = quizStanding(stage.quiz, saved.quizzes[stage.id] ?? []);
  const score = quizScore(correct, questions.length, passMark);

  print();
  print(formatScore(score, passMark));
  if (earlier) print(style.dim(`  (${asked.length} answered now, ${earlier} earlier)`));
  for (const line of formatRevisit(results.filter((r) => !r.correct))) print(line);
  if (!score.passed) print(style.dim(`Read the lesson again (roadmap learn ${stage.id}), then retake it: roadmap quiz ${stage.id}`));
  const review = summarizeReview(roadmap, saved, now);
  print(style.dim(`Every answer is now a spaced-review card: ${formatReviewDue(review, now)} (roadmap review).`));
  if (!score.passed) throw new ExitError(1);
}

/** `--answers` for the questions asked; an answer to a question already answered says how to retake them all. */
function resolveQuizAnswers(stage: Stage, asked: readonly Question[], raw: Record<string, RawAnswer>): Map<string, Given> {
  const askedIds = new Set(asked.map((q) => q.id));
  const already = stage.quiz.questions.find((q) => q.id in raw && !askedIds.has(q.id));
  if (already) {
    throw new UserError(
      `--answers: question "${already.id}" is answered already; only the new or changed questions are asked: ${[...askedIds].join(", ")}`,
      2,
      `Answer just those (roadmap quiz ${stage.id} --answers "${answersTemplate(asked)}"), or retake every question with --all.`,
    );
  }
  return resolveAnswers(asked, raw, `is not in the quiz of ${stage.id}`);
}

function reviewAnswers(results: readonly QuestionResult[], stage: Stage) {
  return results.map((r) => ({ question: r.question, stageId: stage.id, grade: gradeFor(r.correct) }));
}

function parseSeed(value: string | undefined): number {
  if (value === undefined) return randomInt(0, MAX_SEED);
  if (!/^\d+$/.test(value) || Number(value) > MAX_SEED) throw new UserError(`--seed must be a whole number from 0 to ${MAX_SEED}, not "${value}"`, 2);
  return Number(value);
}

/** The `--answers` text: the flag itself, or all of stdin for `--answers -`. */
export async function readAnswers(value: string): Promise<string> {
  if (value !== "-") return value;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Shows each question, takes its answer (given on the command line, or asked), and gives the feedback at once:
 * right or wrong, the answer, the explanation. The quiz and the review share it.
 */
export async function askQuestions(served: readonly ServedQuestion[], given?: Map<string, Given>): Promise<QuestionResult[]> {
  const results: QuestionResult[] = [];
  for (const [index, item] of served.entries()) {
    print(formatQuestionTitle(item, index, served.length));
    if (item.question.code) print(await formatCode(item.question.code));
    let answer = given?.get(item.question.id);
    if (answer === undefined) {
      answer = await askQuestion(item);
    } else {
      print(item.question.prompt.trim());
      print(`  ${style.dim("Your answer:")} ${answerText(item, answer)}`);
    }
    const result = gradeAnswer(item.question, answer);
    print(formatFeedback(item, result));
    results.push(result);
  }
  return results;
}

async function askQuestion({ question, options }: ServedQuestion): Promise<Given> {
  const message = question.prompt.trim();
  switch (question.type) {
    case "boolean":
      return select(message, [
        { value: true, name: "True" },
        { value: false, name: "False" },
      ]);
    case "single":
      return [await select(message, options.map((o) => ({ value: o.id, name: o.text })))];
    case "multiple":
      return checkbox(message, options.map((o) => ({ value: o.id, name: o.text })), { required: true });
  }
}
