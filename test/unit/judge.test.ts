import { describe, expect, it } from "vitest";
import { exerciseOutcome, judgeListener, type JudgeReport } from "../../src/verify/results.js";

const TOKEN = "t0k3n";
const line = (event: object, token = TOKEN) => JSON.stringify({ token, ...event });

function heard(...lines: string[]): JudgeReport {
  const judge = judgeListener(TOKEN);
  for (const l of lines) judge.onLine(l);
  return judge.report();
}

const collected = line({ event: "collected", ids: ["ex/test_ex.py::test_a", "ex/test_ex.py::test_b", "other/test_o.py::test_c"] });
const passed = (name: string, exercise = "ex", file = "test_ex.py") => line({ event: "test", id: `${exercise}/${file}::${name}`, outcome: "passed", rules: ["r1"] });
const end = line({ event: "end", exitstatus: 0 });

describe("judgeListener", () => {
  it("ties each result to its exercise and keeps its rules", () => {
    const report = heard(collected, passed("test_a"), passed("test_c", "other", "test_o.py"), end);
    expect(report.ended).toBe(true);
    expect(report.tampered).toBeUndefined();
    expect(report.collected.get("ex")).toEqual(["test_ex.py::test_a", "test_ex.py::test_b"]);
    expect(report.tests[0]).toEqual({ exercise: "ex", id: "test_ex.py::test_a", name: "test_a", outcome: "passed", rules: ["r1"] });
  });

  it.each([
    ["a line with another token", line({ event: "end" }, "guess")],
    ["a line with no token", JSON.stringify({ event: "test", id: "ex/test_ex.py::test_a", outcome: "passed" })],
    ["a line that is not JSON", "PASSED test_a"],
  ])("marks the run tampered on %s", (_, forged) => {
    expect(heard(collected, forged, end).tampered).toMatch(/something other than the judge/);
  });

  it("marks the run tampered when anything is written after the session ended", () => {
    expect(heard(collected, end, passed("test_b")).tampered).toMatch(/after pytest's session ended/);
  });

  it("keeps the judge's own tampering reason, the first one", () => {
    const report = heard(line({ event: "tampered", what: "Function.runtest was replaced" }), line({ event: "tampered", what: "later" }), end);
    expect(report.tampered).toBe("Function.runtest was replaced");
  });
});

describe("exerciseOutcome", () => {
  const expected = ["test_ex.py::test_a", "test_ex.py::test_b"];

  it("passes only when exactly the expected tests ran and passed", () => {
    expect(exerciseOutcome("ex", heard(collected, passed("test_a"), passed("test_b"), end), expected).outcome).toBe("passed");
  });

  it("fails when an expected test did not run, and names it", () => {
    const { outcome, tests } = exerciseOutcome("ex", heard(collected, passed("test_a"), end), expected);
    expect(outcome).toBe("failed");
    expect(tests.find((t) => t.id === "test_ex.py::test_b")).toMatchObject({ outcome: "failed", message: "this check did not run" });
  });

  it("is tampered when a test outside the expected set ran", () => {
    const report = heard(collected, passed("test_a"), passed("test_b"), passed("test_injected"), end);
    expect(exerciseOutcome("ex", report, expected)).toMatchObject({ outcome: "tampered", reason: expect.stringMatching(/test_injected/) });
  });

  it("without a recorded set, expects every collected test", () => {
    expect(exerciseOutcome("ex", heard(collected, passed("test_a"), end)).outcome).toBe("failed");
    expect(exerciseOutcome("ex", heard(collected, passed("test_a"), passed("test_b"), end)).outcome).toBe("passed");
  });

  it("fails a module that could not be collected, without listing every test as not run", () => {
    const error = line({ event: "test", id: "ex/test_ex.py", outcome: "error", phase: "collect", message: "SyntaxError: invalid syntax" });
    const { outcome, tests } = exerciseOutcome("ex", heard(line({ event: "collected", ids: [] }), error, end), expected);
    expect(outcome).toBe("failed");
    expect(tests).toEqual([expect.objectContaining({ name: "collecting the tests", outcome: "error" })]);
  });

  it("a skip (a missing service) makes the exercise skipped, a failure beside it makes it failed", () => {
    const skipped = line({ event: "test", id: "ex/test_ex.py::test_b", outcome: "skipped", message: "needs redis" });
    const failed = line({ event: "test", id: "ex/test_ex.py::test_a", outcome: "failed", message: "wrong" });
    expect(exerciseOutcome("ex", heard(collected, passed("test_a"), skipped, end), expected).outcome).toBe("skipped");
    expect(exerciseOutcome("ex", heard(collected, failed, skipped, end), expected).outcome).toBe("failed");
  });

  it("a tampered run is tampered for every exercise in it", () => {
    const report = heard(collected, line({ event: "tampered", what: "x" }), passed("test_c", "other", "test_o.py"), end);
    expect(exerciseOutcome("other", report).outcome).toBe("tampered");
  });
});
