import type { Question } from "../content/schema.js";

/** What a learner gave: option ids (single and multiple choice) or true/false. Never a screen position. */
export type Given = string[] | boolean;

export interface QuestionResult {
  question: Question;
  given: Given;
  correct: boolean;
}

export function correctAnswer(question: Question): Given {
  switch (question.type) {
    case "single":
      return [question.answer];
    case "multiple":
      return [...question.answer];
    case "boolean":
      return question.answer;
  }
}

/** Right only when it is exactly the answer: a selection missing one option, or with one too many, is wrong. */
export function isCorrect(question: Question, given: Given): boolean {
  const answer = correctAnswer(question);
  if (typeof answer === "boolean" || typeof given === "boolean") return answer === given;
  const chosen = new Set(given);
  return chosen.size === answer.length && answer.every((id) => chosen.has(id));
}

export function gradeAnswer(question: Question, given: Given): QuestionResult {
  return { question, given, correct: isCorrect(question, given) };
}

export interface QuizScore {
  correct: number;
  total: number;
  /** correct / total, 0 to 1. */
  score: number;
  passed: boolean;
}

export function quizScore(correct: number, total: number, passMark: number): QuizScore {
  return { correct, total, score: total ? correct / total : 0, passed: passes(correct, total, passMark) };
}

/** Compares counts, not a rounded share: 7 of 10 meets a pass mark of 0.7 whatever the floating point says. */
export function passes(correct: number, total: number, passMark: number): boolean {
  return total > 0 && correct >= passMark * total - 1e-9;
}
