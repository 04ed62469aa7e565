import { describe, expect, it } from "vitest";
import { judgeCoverage, silentFailure, type CoverageInput } from "../../src/verify/coverage.js";
import type { Outcome, TestResult } from "../../src/verify/results.js";

const test = (name: string, rules: string[], outcome: Outcome = "passed", message?: string): TestResult => ({
  exercise: "ex",
  name,
  id: `test_ex.py::${name}`,
  rules,
  outcome,
  ...(message ? { message } : {}),
});
const fails = (name: string, rules: string[], message = `${name} must hold`) => test(name, rules, "failed", message);

/** Two rules, each checked by one test and broken alone by one wrong solution; the starter fails both. */
function covered(): CoverageInput {
  return {
    exercise: {
      id: "ex",
      rules: [
        { id: "a", text: "A holds." },
        { id: "b", text: "B holds." },
      ],
      wrong: [
        { id: "breaks-a", rules: ["a"], why: "." },
        { id: "breaks-b", rules: ["b"], why: "." },
      ],
      starter_passes: [],
    },
    solution: [test("test_a", ["a"]), test("test_b", ["b"])],
    starter: [fails("test_a", ["a"]), fails("test_b", ["b"])],
    wrong: { "breaks-a": [fails("test_a", ["a"]), test("test_b", ["b"])], "breaks-b": [test("test_a", ["a"]), fails("test_b", ["b"])] },
    lock: { "test_ex.py::test_a": ["a"], "test_ex.py::test_b": ["b"] },
  };
}

describe("judgeCoverage", () => {
  it("finds nothing to report when every rule has a test and a wrong solution that breaks it alone", () => {
    const coverage = judgeCoverage(covered());
    expect(coverage.problems).toEqual([]);
    expect(coverage.rules).toEqual([
      { id: "a", tests: ["test_ex.py::test_a"], provenBy: ["breaks-a"] },
      { id: "b", tests: ["test_ex.py::test_b"], provenBy: ["breaks-b"] },
    ]);
  });

  it.each<[string, (input: CoverageInput) => void, string]>([
    ["a rule without a test", (i) => i.exercise.rules.push({ id: "c", text: "C holds." }), 'rule c has no test: mark the tests that check it with @pytest.mark.rule("c")'],
    ["a test without a rule", (i) => i.solution.push(test("test_c", [])), "1 test(s) name no rule (add @pytest.mark.rule): test_ex.py::test_c"],
    ["a test naming a rule the README lacks", (i) => (i.solution[0]!.rules = ["a", "z"]), "test_ex.py::test_a names rule(s) the README does not state: z"],
    ["no rules at all", (i) => (i.exercise.rules = []), "states no rules"],
    [
      "a wrong solution whose failing tests carry another rule",
      (i) => (i.wrong["breaks-a"] = [fails("test_a", ["a"]), fails("test_b", ["b"])]),
      "rule a is proven by no wrong solution: wrong/breaks-a also fails test_ex.py::test_b (rules: b)",
    ],
    [
      "a wrong solution that fails only tests of other rules",
      (i) => (i.wrong["breaks-a"] = [test("test_a", ["a"]), fails("test_b", ["b"])]),
      "wrong/breaks-a breaks [a] but fails no test of them; it fails test_ex.py::test_b (rules: b)",
    ],
    ["a wrong solution naming no rule", (i) => (i.exercise.wrong[0]!.rules = []), "wrong/breaks-a names no rule"],
    ["a rule no wrong solution names", (i) => (i.exercise.wrong[1]!.rules = ["a"]), "rule b has no known-wrong solution: add one that breaks only this rule"],
    [
      "a test passing on the starter, not allowed",
      (i) => (i.starter![0] = test("test_a", ["a"])),
      "test_ex.py::test_a passes on the untouched starter: make it fail there, or list it in starter_passes with why",
    ],
    [
      "an allowed starter pass that fails on the starter",
      (i) => i.exercise.starter_passes.push({ test: "test_ex.py::test_a", why: "." }),
      "starter_passes lists test_ex.py::test_a, which fails on the starter: remove the entry",
    ],
    [
      "an allowed starter pass that is no test",
      (i) => i.exercise.starter_passes.push({ test: "test_ex.py::test_gone", why: "." }),
      "starter_passes lists test_ex.py::test_gone, which is not a test of this exercise",
    ],
    [
      "a bare DID NOT RAISE on the starter",
      (i) => (i.starter![1] = fails("test_b", ["b"], "Failed: DID NOT RAISE <class 'ValueError'>")),
      "1 test(s) fail on the starter with no message for the learner (a bare DID NOT RAISE",
    ],
    [
      "an assert without a message on a wrong solution",
      (i) => (i.wrong["breaks-b"] = [test("test_a", ["a"]), fails("test_b", ["b"], "assert 0 == 5\n +  where 0 = add(2, 3)")]),
      "1 test(s) fail on wrong/breaks-b with no message for the learner (an assert without a message: add one): test_ex.py::test_b",
    ],
    ["no tests.lock.json", (i) => (i.lock = undefined), "has no tests.lock.json: record its tests with roadmap dev check ex --update-lock"],
    ["a test the lock does not record", (i) => delete i.lock!["test_ex.py::test_b"], "test_ex.py::test_b is collected but not recorded"],
    ["a recorded test with other rules", (i) => (i.lock!["test_ex.py::test_b"] = ["a"]), "test_ex.py::test_b checks [b] but the record says [a]"],
  ])("reports %s", (_name, change, expected) => {
    const input = covered();
    change(input);
    const { problems } = judgeCoverage(input);
    expect(problems.filter((p) => p.includes(expected)), problems.join("\n")).toHaveLength(1);
  });

  it.each<[string, (input: CoverageInput) => void]>([
    ["a starter pass listed in starter_passes", (i) => {
      i.starter![0] = test("test_a", ["a"]);
      i.exercise.starter_passes.push({ test: "test_ex.py::test_a", why: "the starter already refuses it" });
    }],
    ["a failing test that carries the broken rule among others", (i) => {
      i.solution[1]!.rules = ["a", "b"];
      i.lock!["test_ex.py::test_b"] = ["a", "b"];
      i.wrong["breaks-a"] = [fails("test_a", ["a"]), fails("test_b", ["a", "b"])];
    }],
    ["wrong solutions that were not verified (a missing service)", (i) => (i.wrong = { "breaks-a": undefined, "breaks-b": undefined })],
    ["a starter that was not verified", (i) => (i.starter = undefined)],
  ])("accepts %s", (_name, change) => {
    const input = covered();
    change(input);
    expect(judgeCoverage(input).problems).toEqual([]);
  });

  it("says which starter passes are allowed", () => {
    const input = covered();
    input.starter = [test("test_a", ["a"]), test("test_b", ["b"])];
    input.exercise.starter_passes.push({ test: "test_ex.py::test_a", why: "." });
    expect(judgeCoverage(input).starterPasses).toEqual([
      { test: "test_ex.py::test_a", allowed: true },
      { test: "test_ex.py::test_b", allowed: false },
    ]);
  });
});

describe("silentFailure (a failure with nothing for the learner)", () => {
  it.each([
    ["Failed: DID NOT RAISE <class 'ValueError'>", "DID NOT RAISE"],
    ["Failed: DID NOT RAISE ValueError", "DID NOT RAISE"],
    ["assert 0 == 5\n +  where 0 = add(2, 3)", "an assert without a message"],
    ["assert False", "an assert without a message"],
    ["add(2, 3) must return 5", undefined],
    ["qty 0 must be refused with ValueError (expected ValueError, but nothing was raised)", undefined],
    ["NotImplementedError: write add()", undefined],
  ])("%j", (message, expected) => {
    const result = silentFailure(message);
    if (expected === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(expected);
  });
});
