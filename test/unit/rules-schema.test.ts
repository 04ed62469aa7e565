import { describe, expect, it } from "vitest";
import { formatProblem, parseFrontMatter } from "../../src/content/parse.js";
import { exerciseSchema } from "../../src/content/schema.js";

const readme = `---
format: 1
id: portfolio-oop
title: "Orders"
difficulty: easy
files: [portfolio.py]
rules:
  - id: market-buy-at-ask
    text: "A market buy fills at the ask."
  - id: positions-copy
    text: "positions returns a copy."
wrong:
  - id: float-cash
    rules: [market-buy-at-ask]
    why: "Floats."
starter_passes:
  - test: test_portfolio_oop.py::TestOrders::test_side[buy]
    why: "The starter refuses it too."
equivalent_mutants:
  - file: portfolio.py
    from: "qty <= 0"
    to: "qty < 0"
    why: "qty is never 0 here."
---
Body.
`;

describe("exercise rules in the front matter", () => {
  it("accepts rules, wrong rules, starter passes and equivalent mutants", () => {
    const parsed = parseFrontMatter(readme, "README.md", exerciseSchema);
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ["a duplicate rule id", (s: string) => s.replace("id: positions-copy", "id: market-buy-at-ask"), 'rules[1].id: duplicate rule id "market-buy-at-ask"'],
    ["a wrong solution naming an unknown rule", (s: string) => s.replace("rules: [market-buy-at-ask]", "rules: [market-sell]"), 'wrong[0].rules[0]: "market-sell" is not one of the rule ids (market-buy-at-ask, positions-copy)'],
    ["a rule id that is not kebab-case", (s: string) => s.replace("id: positions-copy", "id: Positions_Copy"), "rules[1].id: must be kebab-case: lower-case letters, digits and single dashes"],
    ["a starter pass that is not a test id", (s: string) => s.replace("test: test_portfolio_oop.py::TestOrders::test_side[buy]", "test: test_side"), "starter_passes[0].test: must be a test id like test_module.py::test_name"],
    ["a duplicate wrong id", (s: string) => s.replace("starter_passes:", "  - id: float-cash\n    rules: [positions-copy]\n    why: \"Again.\"\nstarter_passes:"), 'wrong[1].id: duplicate wrong solution id "float-cash"'],
  ])("reports %s, naming the field", (_name, change, expected) => {
    const parsed = parseFrontMatter(change(readme), "README.md", exerciseSchema);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map(formatProblem)).toEqual(expect.arrayContaining([`README.md: ${expected}`]));
  });
});
