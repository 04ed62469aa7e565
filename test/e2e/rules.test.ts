// Rules as data: rendered into the learner's README, named by failing checks, and covered (dev check).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learner, learnerWithWorkspace, python, readJson, repoRoot } from "../helpers.js";

const rulesCourse = join(repoRoot, "test", "fixtures", "rules");

interface Report {
  ok: boolean;
  exercises: {
    exercise: string;
    ok: boolean;
    coverage?: { rules: { id: string; tests: string[]; provenBy: string[] }[]; starterPasses: { test: string; allowed: boolean }[]; problems: string[] };
  }[];
}

async function devCheck(course: string, ...args: string[]): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await learner().run(["--roadmap", course, "--trust", "dev", "check", "--python", python, "--jobs", "1", "--json", ...args]);
  return { code: result.code, report: JSON.parse(result.stdout || "{}"), stderr: result.stderr };
}

describe("rules in the learner's README", () => {
  it("init and reset render the rules where the README puts them; a failing check names its rule", async () => {
    const { workspace, run } = await learnerWithWorkspace(copyCourse(rulesCourse));
    const readmeFile = join(workspace, "rules", "covered-sum", "README.md");
    const readme = readFileSync(readmeFile, "utf8");
    expect(readme).toContain("## Rules\n\n- `sums-values`: `total(values)` returns the sum of the values.\n- `refuses-negative`: A negative value raises `ValueError`.\n\n```python");
    expect(readme).not.toContain("<!-- rules -->");
    // Without a placeholder the rules go last, under a heading of their own.
    expect(readFileSync(join(workspace, "rules", "loose-greet", "README.md"), "utf8")).toMatch(/## Rules\n\n- `greets-by-name`: .*\n- `shouts-when-asked`: .*\n$/);

    writeFileSync(readmeFile, "my notes\n");
    expect((await run(["reset", "covered-sum"])).code).toBe(0);
    expect(readFileSync(readmeFile, "utf8")).toBe(readme);

    const check = await run(["check", "covered-sum"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("test_refuses_negative[-1] (rule refuses-negative)");
  });
});

describe("roadmap dev check: rule coverage", () => {
  it("passes a covered exercise and lists what an uncovered one lacks", async () => {
    const { code, report, stderr } = await devCheck(copyCourse(rulesCourse));
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const [covered, loose] = report.exercises;
    expect(covered).toMatchObject({ exercise: "covered-sum", ok: true });
    expect(covered!.coverage!.rules).toEqual([
      { id: "sums-values", tests: ["test_covered_sum.py::test_sums_values"], provenBy: ["off-by-one"] },
      { id: "refuses-negative", tests: ["test_covered_sum.py::test_refuses_negative[-1]", "test_covered_sum.py::test_refuses_negative[-5]"], provenBy: ["no-check"] },
    ]);
    expect(loose).toMatchObject({ exercise: "loose-greet", ok: false });
    expect(loose!.coverage!.problems).toEqual([
      "1 test(s) name no rule (add @pytest.mark.rule): test_loose_greet.py::test_ends_with_bang",
      "wrong/no-name names no rule: add `rules: [...]` with the rule(s) it breaks",
      "rule greets-by-name has no known-wrong solution: add one that breaks only this rule (wrong: rules: [greets-by-name])",
      'rule shouts-when-asked has no test: mark the tests that check it with @pytest.mark.rule("shouts-when-asked")',
      "test_loose_greet.py::test_returns_text passes on the untouched starter: make it fail there, or list it in starter_passes with why",
      "1 test(s) fail on the starter with no message for the learner (an assert without a message: add one): test_loose_greet.py::test_ends_with_bang",
      "has no tests.lock.json: record its tests with roadmap dev check loose-greet --update-lock",
    ]);
  });

  it("records the collected tests with --update-lock, and fails when the tests change after that", async () => {
    const course = copyCourse(rulesCourse);
    const exercise = join(course, "exercises", "rules", "loose-greet");
    const updated = await devCheck(course, "loose-greet", "--update-lock");
    expect(updated.report.exercises[0]!.coverage!.problems.filter((p) => p.includes("tests.lock.json"))).toEqual([]);
    expect(readJson(join(exercise, "tests.lock.json"))).toEqual({
      tests: {
        "test_loose_greet.py::test_ends_with_bang": [],
        "test_loose_greet.py::test_greets_by_name": ["greets-by-name"],
        "test_loose_greet.py::test_returns_text": ["greets-by-name"],
      },
    });

    const tests = join(exercise, "tests", "test_loose_greet.py");
    writeFileSync(tests, readFileSync(tests, "utf8").replace('@pytest.mark.rule("greets-by-name")\ndef test_returns_text', '@pytest.mark.rule("shouts-when-asked")\ndef test_returns_text'));
    const changed = await devCheck(course, "loose-greet");
    expect(changed.report.exercises[0]!.coverage!.problems).toContain(
      "its tests differ from tests.lock.json (test_loose_greet.py::test_returns_text checks [shouts-when-asked] but the record says [greets-by-name]); if intended: roadmap dev check loose-greet --update-lock",
    );
  });

  it("leaves the lock alone when the solution does not pass", async () => {
    const course = copyCourse(rulesCourse);
    const exercise = join(course, "exercises", "rules", "loose-greet");
    const tests = join(exercise, "tests", "test_loose_greet.py");
    writeFileSync(tests, readFileSync(tests, "utf8").replace('== "Hello, Ada!"', '== "Hi, Ada!"'));
    const { code, report } = await devCheck(course, "loose-greet", "--update-lock");
    expect(code).toBe(1);
    expect(report.exercises[0]!.coverage).toBeUndefined();
    expect(existsSync(join(exercise, "tests.lock.json"))).toBe(false);
  });
});

describe("roadmap dev mutate", () => {
  it("lists the surviving mutant with file, line and change, shows the allowlisted one with its reason, and exits 1", async () => {
    const person = learner();
    const course = copyCourse(rulesCourse);
    const text = await person.run(["--roadmap", course, "--trust", "dev", "mutate", "--python", python, "--jobs", "2"]);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain("ok   covered-sum  8/8 killed, score 100% (1 equivalent)");
    expect(text.stdout).toContain("equivalent ledger_sum.py:7 sum(values, 0) → sum(values): 0 is the start value sum() uses anyway");
    expect(text.stdout).toContain('FAIL loose-greet  1/2 killed, score 50%\n       ✗ survived loose_greeter.py:4 (return)\n           from: "return text.upper()"\n           to: "return None"');

    // Listing the survivor as equivalent (the from/to dev mutate printed) makes the run pass.
    const readme = join(course, "exercises", "rules", "loose-greet", "README.md");
    const entry = 'equivalent_mutants:\n  - file: loose_greeter.py\n    from: "return text.upper()"\n    to: "return None"\n    why: "shouting is not checked in this fixture"\n';
    writeFileSync(readme, readFileSync(readme, "utf8").replace("wrong:\n", `${entry}wrong:\n`));
    const json = await person.run(["--roadmap", course, "--trust", "dev", "mutate", "loose-greet", "--python", python, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const [report] = JSON.parse(json.stdout).exercises;
    expect(report).toMatchObject({ exercise: "loose-greet", run: 2, killed: 1, score: 1, survived: [], ok: true });
    expect(report.equivalent).toEqual([{ file: "loose_greeter.py", line: 4, kind: "return", from: "return text.upper()", to: "return None", why: "shouting is not checked in this fixture" }]);
  });
});

describe("roadmap dev mutate on a mutant that loops", () => {
  it("stops it after five times the solution's own time plus a second, and counts it killed", async () => {
    const course = copyCourse(rulesCourse);
    const solution = join(course, "exercises", "rules", "loose-greet", "solution", "loose_greeter.py");
    // `pause -= 1` becomes `pause -= 0` (a boundary mutant): a loop that never ends.
    writeFileSync(solution, readFileSync(solution, "utf8").replace("    if shout:", "    pause = 3\n    while pause > 0:\n        pause -= 1\n    if shout:"));
    const started = Date.now();
    const result = await learner().run(["--roadmap", course, "--trust", "dev", "mutate", "loose-greet", "--python", python, "--json"]);
    const [report] = JSON.parse(result.stdout).exercises;
    expect(report.timedOut).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 60_000);
});
