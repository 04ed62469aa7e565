// Quiz attempts for unit tests, built the way `roadmap quiz` builds them: answers with question fingerprints.
import type { Question } from "../../src/content/schema.js";
import type { QuizAttempt } from "../../src/progress/model.js";
import { correctAnswer, gradeAnswer, type Given } from "../../src/quiz/score.js";
import { quizAttempt } from "../../src/quiz/standing.js";

export function wrongAnswer(question: Question): Given {
  if (question.type === "boolean") return !question.answer;
  if (question.type === "single") return [question.options.find((o) => o.id !== question.answer)!.id];
  // A selection missing one right option, or with one wrong option too many.
  return question.answer.length > 1 ? question.answer.slice(1) : [...question.answer, question.options.find((o) => !question.answer.includes(o.id))!.id];
}

/** An attempt answering these questions; the ids in `wrong` wrongly, the rest right. */
export function attemptOn(questions: readonly Question[], at: Date, wrong: readonly string[] = []): QuizAttempt {
  return quizAttempt(questions.map((q) => gradeAnswer(q, wrong.includes(q.id) ? wrongAnswer(q) : correctAnswer(q))), at);
}
