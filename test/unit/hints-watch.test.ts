import { describe, expect, it } from "vitest";
import { isIgnoredChange } from "../../src/commands/watch.js";
import { hintFor, hintForFailure, pickHint, splitHints } from "../../src/content/hints.js";
import { formatProblem, parseFrontMatter } from "../../src/content/parse.js";
import { exerciseSchema } from "../../src/content/schema.js";
import { CLEAR, frame, hintPointer, renderWatchScreen, type WatchScreen } from "../../src/ui/watch-screen.js";

const readme = (hints: string) => `---
format: 1
id: portfolio-oop
title: "Orders"
difficulty: easy
files: [portfolio.py]
hints:
${hints}
rules:
  - id: order-qty
    text: "qty is a positive int."
  - id: exact-cash
    text: "cash is exact."
---
Body.
`;

describe("hints mapped to rules", () => {
  it("accepts plain strings and { text, rules } side by side, and keeps the texts in order", () => {
    const parsed = parseFrontMatter(readme('  - "Plain."\n  - text: "For qty."\n    rules: [order-qty]\n  - "Last."'), "README.md", exerciseSchema);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(splitHints(parsed.data.hints)).toEqual({ hints: ["Plain.", "For qty.", "Last."], hintRules: [[], ["order-qty"], []] });
  });

  it.each([
    ["an unknown rule", '  - text: "x"\n    rules: [order-side]', 'hints[0].rules[0]: "order-side" is not one of the rule ids (order-qty, exact-cash)'],
    ["an empty rules list", '  - text: "x"\n    rules: []', "hints[0].rules"],
    ["an unknown key", '  - text: "x"\n    rule: order-qty', "hints[0]"],
  ])("reports %s, naming the field", (_name, hints, expected) => {
    const parsed = parseFrontMatter(readme(hints), "README.md", exerciseSchema);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map(formatProblem).join("\n")).toContain(`README.md: ${expected}`);
  });

  it("aims at the first failing rule with a hint: the first unseen hint naming it, else the first naming it", () => {
    const exercise = { hints: ["a", "b", "c", "d"], hintRules: [[], ["exact-cash"], ["order-qty"], ["exact-cash"]] };
    expect(hintFor(exercise, ["order-qty", "exact-cash"], 0)).toEqual({ index: 2, rule: "order-qty" });
    expect(hintFor(exercise, ["other", "exact-cash"], 0)).toEqual({ index: 1, rule: "exact-cash" });
    expect(hintFor(exercise, ["exact-cash"], 2)).toEqual({ index: 3, rule: "exact-cash" });
    expect(hintFor(exercise, ["exact-cash"], 4)).toEqual({ index: 1, rule: "exact-cash" });
    expect(hintFor(exercise, ["other"], 0)).toBeUndefined();
    expect(hintFor({ hints: ["a"], hintRules: undefined as unknown as string[][] }, ["exact-cash"], 0)).toBeUndefined();
  });
});

describe("which hint to show", () => {
  const exercise = {
    hints: ["a", "b", "c"],
    hintRules: [[], ["exact-cash"], ["order-qty"]],
    rules: [{ id: "order-qty" }, { id: "exact-cash" }] as never,
  };
  it("aims at the first failing rule in the README's order, counting errors as failures and ignoring passes", () => {
    const tests = [
      { outcome: "passed", rules: ["order-qty"] },
      { outcome: "error", rules: ["exact-cash"] },
    ];
    expect(hintForFailure(exercise, tests, 0)).toEqual({ index: 1, rule: "exact-cash" });
    expect(hintForFailure(exercise, [...tests, { outcome: "failed", rules: ["order-qty"] }], 0)).toEqual({ index: 2, rule: "order-qty" });
    expect(hintForFailure(exercise, [{ outcome: "failed" }], 0)).toBeUndefined();
  });
  it("shows the rule's hint even when seen; without a rule, or with an unmapped one, the next in line, then the last", () => {
    expect(pickHint(exercise, 0, "order-qty")).toEqual({ index: 2, aimed: true });
    expect(pickHint(exercise, 3, "exact-cash")).toEqual({ index: 1, aimed: true });
    expect(pickHint(exercise, 1)).toEqual({ index: 1, aimed: false });
    expect(pickHint({ ...exercise, hintRules: [[], [], []] }, 1, "order-qty")).toEqual({ index: 1, aimed: false });
    expect(pickHint(exercise, 3)).toEqual({ index: 2, aimed: false });
  });
});

describe("watch", () => {
  it.each([".portfolio.py.swp", ".portfolio.py.swx", ".portfolio.py.swo", "sub/.x.py.swn", "portfolio.py~", "4913", "sub/4913", ".#portfolio.py", "#portfolio.py#", "__pycache__/x.pyc", ".pytest_cache/v", ".venv/bin/python"])(
    "ignores %s",
    (name) => expect(isIgnoredChange(name)).toBe(true),
  );
  it.each(["portfolio.py", "sub/models.py", "swp.py", "test#1.py", "49130", "data.json"])("watches %s", (name) => expect(isIgnoredChange(name)).toBe(false));

  const screen: WatchScreen = {
    exercise: { id: "add-numbers", title: "Add" },
    folder: "basics/add-numbers",
    files: ["adder.py"],
    stage: { title: "Basics", passed: 1, total: 4 },
    overall: 0.5,
    verdict: { state: "done", run: 2, at: new Date(2026, 0, 1, 9, 5, 7), lines: ["FAIL add-numbers", ...Array.from({ length: 30 }, (_, i) => `line ${i}`)], passed: false },
    hint: hintPointer("add-numbers", 3, 1),
  };

  it("renders the exercise, both bars, the verdict, the hint pointer and the keys, cut to the rows", () => {
    const lines = renderWatchScreen(screen, 24);
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(lines).toContain("Stage   #####............... 1/4 exercises of Basics");
    expect(lines).toContain("Overall ##########.......... 50% of the roadmap");
    expect(lines).toContain("Check 2 at 09:05:07:");
    expect(lines.at(-1)).toBe("Keys: h hint · r re-check · n next exercise · q quit");
    expect(lines).toContain("Stuck? The next hint: roadmap hint add-numbers   (or press h)");
    expect(lines.find((line) => line.startsWith("... "))).toMatch(/^\.\.\. \d+ more lines: roadmap check add-numbers shows them all$/);
    expect(renderWatchScreen(screen)).toContain("line 29");
  });

  it("points at the hint aimed at a rule, and at reading them again once all are seen", () => {
    expect(hintPointer("x", 4, 1, { index: 2, rule: "order-qty" })).toEqual(["A hint aimed at rule order-qty (hint 3/4): press h", "Stuck? The next hint: roadmap hint x"]);
    expect(hintPointer("x", 4, 4, { index: 2, rule: "order-qty" })).toEqual(["All 4 hints seen; read them again: roadmap hint x"]);
    expect(hintPointer("x", 0, 0)).toEqual([]);
  });

  it("clears the screen only on a terminal", () => {
    expect(frame(["a"], true).startsWith(CLEAR)).toBe(true);
    expect(frame(["a"], false)).not.toContain("\x1b");
  });
});
