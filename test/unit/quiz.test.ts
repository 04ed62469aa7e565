import { describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import type { Question } from "../../src/content/schema.js";
import { answersTemplate, parseAnswersText, resolveAnswers } from "../../src/quiz/answers.js";
import { questionFingerprint } from "../../src/quiz/due.js";
import { isCorrect, passes, quizScore, gradeAnswer, type Given } from "../../src/quiz/score.js";
import { seededRandom, serveQuestions, shuffled } from "../../src/quiz/shuffle.js";
import { fixtureCourse } from "../helpers.js";

const roadmap = await loadRoadmap(fixtureCourse);
const questions = roadmap.stages[0]!.quiz.questions;
const byId = (id: string) => questions.find((q) => q.id === id)!;
// pick-one: single, answer four (of three, four); pick-many: multiple, answer two+five (of two, four, five);
// true-or-false: boolean, answer true.

describe("isCorrect", () => {
  it.each<[string, string, Given, boolean]>([
    ["single: the answer", "pick-one", ["four"], true],
    ["single: another option", "pick-one", ["three"], false],
    ["single: the answer and another", "pick-one", ["four", "three"], false],
    ["multiple: exactly the answer set", "pick-many", ["two", "five"], true],
    ["multiple: any order", "pick-many", ["five", "two"], true],
    ["multiple: one of two right options (partial)", "pick-many", ["two"], false],
    ["multiple: the other right option alone (partial)", "pick-many", ["five"], false],
    ["multiple: all right plus a wrong one", "pick-many", ["two", "four", "five"], false],
    ["multiple: only a wrong one", "pick-many", ["four"], false],
    ["multiple: nothing", "pick-many", [], false],
    ["boolean: true", "true-or-false", true, true],
    ["boolean: false", "true-or-false", false, false],
    ["boolean: option ids are never right", "true-or-false", ["true"], false],
  ])("%s", (_name, id, given, expected) => {
    expect(isCorrect(byId(id), given)).toBe(expected);
  });
});

describe("passes and quizScore", () => {
  it.each([
    [2, 3, 0.6, true],
    [1, 3, 0.6, false],
    [3, 3, 1, true],
    [2, 3, 1, false],
    [4, 5, 0.8, true],
    [3, 5, 0.8, false],
    [7, 10, 0.7, true],
    [6, 10, 0.7, false],
    [29, 100, 0.29, true],
    [57, 100, 0.57, true],
    [8, 10, 0.8, true],
    [0, 0, 0.8, false],
  ])("%i of %i against a pass mark of %s: %s", (correct, total, passMark, expected) => {
    expect(passes(correct, total, passMark)).toBe(expected);
  });

  it.each([
    [["four"], ["two", "five"], true, 1, true],
    [["four"], ["two"], true, 2 / 3, true],
    [["three"], ["two"], true, 1 / 3, false],
    [["three"], ["four"], false, 0, false],
  ])("pick-one=%j pick-many=%j true-or-false=%s scores %d", (one, many, bool, score, passed) => {
    const results = [gradeAnswer(byId("pick-one"), one), gradeAnswer(byId("pick-many"), many), gradeAnswer(byId("true-or-false"), bool)];
    expect(quizScore(results.filter((r) => r.correct).length, results.length, 0.6)).toEqual({ correct: Math.round(score * 3), total: 3, score, passed });
  });
});

describe("seeded shuffling", () => {
  const many: Question = { id: "many", type: "multiple", prompt: "p", explanation: "e", answer: ["a", "d", "g"], options: "abcdefgh".split("").map((id) => ({ id, text: id.toUpperCase() })) };

  it.each([0, 1, 7, 42, 123456, 0xffffffff])("seed %i gives the same order every time", (seed) => {
    expect(serveQuestions([many, ...questions], seed)).toEqual(serveQuestions([many, ...questions], seed));
  });

  it("different seeds give different orders", () => {
    const orders = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => serveQuestions([many], seed)[0]!.options.map((o) => o.id).join("")));
    expect(orders.size).toBeGreaterThan(4);
  });

  it("the same seed gives the same order on every machine (mulberry32, not Math.random)", () => {
    expect(seededRandom(1)()).toBe(0.6270739405881613); // the published mulberry32 value for seed 1
    expect(shuffled("abcdefgh".split(""), seededRandom(42)).join("")).toBe("chbagfde");
  });

  it.each(Array.from({ length: 25 }, (_, seed) => seed))("seed %i keeps every option and every answer right", (seed) => {
    for (const served of serveQuestions([many, ...questions], seed)) {
      const { question } = served;
      if (question.type === "boolean") {
        expect(served.options).toEqual([]);
        continue;
      }
      expect([...served.options].sort((a, b) => a.id.localeCompare(b.id))).toEqual([...question.options].sort((a, b) => a.id.localeCompare(b.id)));
      const answer = question.type === "single" ? [question.answer] : question.answer;
      // The learner picks the right options where they now appear on screen: still right, because answers are ids.
      const picked = served.options.filter((o) => answer.includes(o.id)).map((o) => o.id);
      expect(isCorrect(question, picked)).toBe(true);
      expect(isCorrect(question, served.options.slice(0, 1).map((o) => o.id))).toBe(answer.length === 1 && served.options[0]!.id === answer[0]);
    }
  });
});

describe("--answers", () => {
  it.each([
    ["pick-one=four,pick-many=two+five,true-or-false=true", { "pick-one": ["four"], "pick-many": ["two", "five"], "true-or-false": true }],
    [" pick-one = four , pick-many=five+two, true-or-false=FALSE ", { "pick-one": ["four"], "pick-many": ["five", "two"], "true-or-false": false }],
    ['{"pick-one": "four", "pick-many": ["two", "five"], "true-or-false": true}', { "pick-one": ["four"], "pick-many": ["two", "five"], "true-or-false": true }],
    ['{"pick-one": ["three"], "pick-many": "two", "true-or-false": "false"}', { "pick-one": ["three"], "pick-many": ["two"], "true-or-false": false }],
  ])("%s", (text, expected) => {
    expect(Object.fromEntries(resolveAnswers(questions, parseAnswersText(text), "is not in this quiz"))).toEqual(expected);
  });

  it.each([
    ["pick-one=four,pick-many=two,true-or-false=true,nope=a", 'question "nope" is not in this quiz'],
    ["pick-one=seven,pick-many=two,true-or-false=true", 'question "pick-one" has no option "seven"'],
    ["pick-one=four,pick-many=two+six,true-or-false=true", 'question "pick-many" has no option "six"'],
    ["pick-one=four+three,pick-many=two,true-or-false=true", 'question "pick-one" takes exactly one option'],
    ["pick-one=four,pick-many=two,true-or-false=yes", 'question "true-or-false" takes true or false'],
    ["pick-one=four,pick-many=two", 'no answer for "true-or-false"'],
    ["pick-one=four,pick-many=,true-or-false=true", 'no answer for "pick-many"'],
    ["pick-one=four,pick-one=three,pick-many=two,true-or-false=true", 'question "pick-one" is answered twice'],
    ["pick-one", 'is not question-id=answer'],
    ['{"pick-one": "four",', "not valid JSON"],
    ['{"pick-one": 4, "pick-many": "two", "true-or-false": true}', 'the answer to "pick-one" must be'],
    ['{"pick-one": "four", "pick-many": true, "true-or-false": true}', 'question "pick-many" takes option ids'],
  ])("%s is refused with exit 2", (text, message) => {
    let error: unknown;
    try {
      resolveAnswers(questions, parseAnswersText(text), "is not in this quiz");
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: "UserError", exitCode: 2 });
    expect((error as Error).message).toContain(message);
  });

  it("the template shows the shape, never the answers", () => {
    expect(answersTemplate(questions)).toBe("pick-one=<option-id>,pick-many=<option-id>+<option-id>,true-or-false=true|false");
  });
});

describe("questionFingerprint", () => {
  const base = byId("pick-many");
  const fingerprint = questionFingerprint(base);
  it.each<[string, Question, boolean]>([
    ["the same question", structuredClone(base), false],
    ["options in another order", { ...base, options: [...(base as { options: { id: string; text: string }[] }).options].reverse() } as Question, false],
    ["the explanation reworded", { ...base, explanation: "Because 4 = 2 x 2." }, false],
    ["the prompt reworded", { ...base, prompt: "Which of these are prime?" }, true],
    ["the code changed", { ...base, code: "candidates = [2, 4, 6]\n" }, true],
    ["an option's text changed", { ...base, options: [{ id: "two", text: "2" }, { id: "four", text: "4" }, { id: "five", text: "9" }] } as Question, true],
    ["the answer changed", { ...base, answer: ["two"] } as Question, true],
  ])("%s changes it: %s", (_name, question, changed) => {
    expect(questionFingerprint(question) !== fingerprint).toBe(changed);
  });
});
