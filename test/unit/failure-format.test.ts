import { describe, expect, it } from "vitest";
import { formatFailure } from "../../src/ui/verify-format.js";
import { inWorkspace, judgeListener, type TestResult } from "../../src/verify/results.js";

const TOKEN = "t0k3n";

function heard(event: object): TestResult {
  const judge = judgeListener(TOKEN);
  judge.onLine(JSON.stringify({ token: TOKEN, event: "test", id: "ex/test_ex.py::test_a", outcome: "failed", rules: ["r1"], ...event }));
  return judge.report().tests[0]!;
}

describe("the judge's failure fields", () => {
  it("keeps well-formed fields", () => {
    const fields = {
      origin: "learner",
      exception: "NameError",
      location: { file: "ex/mod.py", line: 2 },
      source: "return totl",
      caret: "       ^^^^",
      traceback: [{ file: "ex/mod.py", line: 2, function: "f", source: "return totl" }],
    };
    expect(heard(structuredClone(fields))).toMatchObject(fields);
  });

  it("drops malformed ones, and bounds and cleans the rest", () => {
    const test = heard({
      origin: "somewhere",
      location: { file: "ex/mod.py", line: "2" },
      source: `x = 1\u001b]52;c;Zm9v\u0007${"y".repeat(500)}\nsecond line`,
      caret: "  ^ not a caret",
      traceback: [{ file: 3, line: 1 }, ...Array.from({ length: 20 }, (_, i) => ({ file: "ex/mod.py", line: i, function: "f" }))],
      expected: "5",
    });
    expect(test.origin).toBeUndefined();
    expect(test.location).toBeUndefined();
    expect(test.source).toMatch(/^x = 1y+…$/);
    expect(test.source!.length).toBeLessThanOrEqual(241);
    expect(test.caret).toBeUndefined();
    expect(test.traceback).toHaveLength(8);
    expect(test.traceback!.at(-1)).toEqual({ file: "ex/mod.py", line: 19, function: "f", source: "" });
    // Expected without actual says nothing.
    expect(test.expected).toBeUndefined();
  });
});

describe("inWorkspace", () => {
  const base: TestResult = { exercise: "add-numbers", id: "test_a.py::test_a", name: "test_a", outcome: "failed", rules: [] };

  it("maps paths relative to the run's folder, and any temporary folder left, to the workspace", () => {
    const test = inWorkspace(
      {
        ...base,
        message: "cannot import name 'add' from 'adder' (/tmp/x/roadmap-verify-Ab12Cd/add-numbers/adder.py)",
        details: 'add-numbers/test_a.py:3: in <module>\nE     File "add-numbers/adder.py", line 1',
        location: { file: "add-numbers/adder.py", line: 1 },
        traceback: [{ file: "add-numbers/pkg/util.py", line: 4, function: "f", source: "" }],
      },
      "basics",
    );
    expect(test.message).toBe("cannot import name 'add' from 'adder' (basics/add-numbers/adder.py)");
    expect(test.details).toBe('basics/add-numbers/test_a.py:3: in <module>\nE     File "basics/add-numbers/adder.py", line 1');
    expect(test.location).toEqual({ file: "basics/add-numbers/adder.py", line: 1 });
    expect(test.traceback![0]!.file).toBe("basics/add-numbers/pkg/util.py");
    expect(inWorkspace(test, "basics")).toEqual(test);
  });

  it("leaves a name that is not a path alone", () => {
    expect(inWorkspace({ ...base, message: "not-add-numbers/x and add-numbers" }, "basics").message).toBe("not-add-numbers/x and add-numbers");
  });
});

describe("formatFailure", () => {
  const exercise = { rules: [{ id: "r1", text: "`add(a, b)` returns the sum." }] };
  const base: TestResult = { exercise: "ex", id: "t.py::t", name: "t", outcome: "failed", rules: ["r1"] };

  it("a learner's error: file:line: message, the source with its caret, and the frames when there are several", () => {
    const lines = formatFailure(
      {
        ...base,
        origin: "learner",
        message: "NameError: name 'totl' is not defined",
        location: { file: "s/ex/mod.py", line: 2 },
        source: "return totl + x",
        caret: "       ^^^^",
        traceback: [
          { file: "s/ex/mod.py", line: 5, function: "add", source: "return helper(a)" },
          { file: "s/ex/mod.py", line: 2, function: "helper", source: "return totl + x" },
        ],
      },
      exercise,
    );
    expect(lines).toEqual([
      "s/ex/mod.py:2: NameError: name 'totl' is not defined",
      "    return totl + x",
      "           ^^^^",
      "your code, most recent call last:",
      "  s/ex/mod.py:5 in add: return helper(a)",
      "  s/ex/mod.py:2 in helper: return totl + x",
    ]);
  });

  it("a verifier's assert: its message, expected vs actual, and the text of each rule the check serves", () => {
    const lines = formatFailure({ ...base, origin: "verifier", message: "add(2, 3) must return 5", expected: "5", actual: "-1" }, exercise);
    expect(lines).toEqual(["add(2, 3) must return 5", "expected: 5", "actual:   -1", "rule r1: `add(a, b)` returns the sum."]);
  });

  it("does not repeat, within a verdict, a failure's source and frames or a rule's text", () => {
    const seen = { rules: new Set<string>(), failures: new Set<string>() };
    const learnerError: TestResult = { ...base, origin: "learner", message: "NameError: x", location: { file: "s/ex/m.py", line: 3 }, source: "x", caret: "^" };
    expect(formatFailure(learnerError, exercise, seen)).toEqual(["s/ex/m.py:3: NameError: x", "    x", "    ^"]);
    expect(formatFailure(learnerError, exercise, seen)).toEqual(["s/ex/m.py:3: NameError: x (as above)"]);
    const verifier: TestResult = { ...base, origin: "verifier", message: "wrong" };
    expect(formatFailure(verifier, exercise, seen)).toEqual(["wrong", "rule r1: `add(a, b)` returns the sum."]);
    expect(formatFailure(verifier, exercise, seen)).toEqual(["wrong"]);
  });

  it("without the judge's fields, the message as before", () => {
    expect(formatFailure({ ...base, message: "this check did not run" }, exercise)).toEqual(["this check did not run"]);
  });
});
