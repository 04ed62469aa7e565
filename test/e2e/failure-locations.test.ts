// Failures that read like a good compiler's: through the built CLI, `check` and `check --json` name the learner's
// file and line in the workspace (never the verifier's temporary folder), show the source line with a caret, keep
// only the learner's frames, and for a verifier's own assert show expected vs actual and the rule it checks.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learnerWithWorkspace, python, underTerminal } from "../helpers.js";

const RULE = "`add(a, b)` returns the sum of `a` and `b`, negative numbers included.";

async function checked(adder: string) {
  const { person, workspace, run } = await learnerWithWorkspace(copyCourse());
  writeFileSync(join(workspace, "basics/add-numbers/adder.py"), adder);
  const text = await run(["check", "add-numbers"]);
  const json = await run(["check", "add-numbers", "--json"]);
  expect(text.code, text.stderr).toBe(1);
  expect(json.code, json.stderr).toBe(1);
  // The verifier ran in $TMPDIR/roadmap-verify-*/add-numbers/: no trace of that folder anywhere.
  for (const output of [text.stdout, text.stderr, json.stdout]) {
    expect(output).not.toContain("roadmap-verify-");
    expect(output).not.toContain(person.env.TMPDIR);
  }
  const report = JSON.parse(json.stdout);
  expect(report.rules).toEqual([{ id: "returns-sum", text: RULE }]);
  return { stdout: text.stdout, tests: report.tests as Record<string, any>[] };
}

describe("check shows where a failure is", () => {
  it("a syntax error: the workspace file and line, the source line and a caret under the error", async () => {
    const { stdout, tests } = await checked("def add(a, b)\n    return a + b\n");
    const lines = stdout.split("\n");
    const at = lines.findIndex((line) => line.trim() === "basics/add-numbers/adder.py:1: SyntaxError: expected ':'");
    expect(at, stdout).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe("          def add(a, b)");
    expect(lines[at + 2]).toBe("                       ^");
    expect(tests).toHaveLength(1);
    expect(tests[0]).toMatchObject({
      outcome: "error",
      origin: "syntax",
      exception: "SyntaxError",
      location: { file: "basics/add-numbers/adder.py", line: 1 },
      source: "def add(a, b)",
      caret: "             ^",
    });
    expect(tests[0]!.details).toContain('File "basics/add-numbers/adder.py", line 1');
  });

  it("a NameError in a learner function: its line with a caret under the name, and only the learner's frames", async () => {
    const { stdout, tests } = await checked("def helper(x):\n    return totl + x\n\n\ndef add(a, b):\n    return helper(a) + b\n");
    const lines = stdout.split("\n");
    const at = lines.findIndex((line) => line.trim() === "basics/add-numbers/adder.py:2: NameError: name 'totl' is not defined");
    expect(at, stdout).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe("          return totl + x");
    expect(lines[at + 2]).toBe("                 ^^^^");
    expect(stdout).toContain("basics/add-numbers/adder.py:6 in add: return helper(a) + b");
    // The second check failed the same way at the same place: its first line only.
    expect(lines.filter((line) => line.includes("NameError")).map((line) => line.trim())).toEqual([
      "basics/add-numbers/adder.py:2: NameError: name 'totl' is not defined",
      "basics/add-numbers/adder.py:2: NameError: name 'totl' is not defined (as above)",
    ]);
    expect(stdout).toContain("basics/add-numbers/adder.py:2 in helper: return totl + x");
    // pytest's, the verifier's and the standard library's frames are left out.
    expect(stdout).not.toMatch(/_pytest|test_add_numbers\.py|importlib/);
    expect(stdout).not.toContain(RULE);
    expect(tests[0]).toMatchObject({
      outcome: "failed",
      origin: "learner",
      exception: "NameError",
      location: { file: "basics/add-numbers/adder.py", line: 2 },
      source: "return totl + x",
      caret: "       ^^^^",
      traceback: [
        { file: "basics/add-numbers/adder.py", line: 6, function: "add", source: "return helper(a) + b" },
        { file: "basics/add-numbers/adder.py", line: 2, function: "helper", source: "return totl + x" },
      ],
    });
  });

  it("a wrong return value caught by the verifier's assert: its message, expected vs actual, and the rule's text", async () => {
    const { stdout, tests } = await checked("def add(a, b):\n    return a - b\n");
    const lines = stdout.split("\n").map((line) => line.trim());
    const at = lines.indexOf("add(2, 3) must return 5");
    expect(at, stdout).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 4)).toEqual(["expected: 5", "actual:   -1", `rule returns-sum: ${RULE}`]);
    expect(tests[0]).toMatchObject({ origin: "verifier", exception: "AssertionError", expected: "5", actual: "-1", rules: ["returns-sum"] });
    expect(tests[0]!.location).toBeUndefined();
  });
});

describe("watch shows where a failure is", () => {
  it("the workspace file and line, the source line and its caret, no temporary folder", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace(copyCourse());
    writeFileSync(join(workspace, "basics/add-numbers/adder.py"), "def add(a, b):\n    return totl(a, b)\n");
    const session = await underTerminal(
      [["basics/add-numbers/adder.py:2: NameError: name 'totl' is not defined", "q"]],
      ["--roadmap", course, "--trust", "--workspace", workspace, "watch"],
      { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm", COLUMNS: "100", LINES: "30" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.output).toContain("return totl(a, b)");
    expect(session.output).toContain("       ^^^^");
    expect(session.output).not.toContain("roadmap-verify-");
  });
});
