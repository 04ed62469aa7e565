import { marked, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import { exerciseReadme } from "../../src/content/readme.js";

const rules = [
  { id: "market-buy-at-ask", text: "A market buy fills at the ask, and cash drops by exactly `ask × qty`." },
  { id: "positions-copy", text: "`positions` returns a copy:\nediting it changes nothing." },
];
const exercise = (prompt: string, withRules = rules) => ({ title: "Orders", prompt, rules: withRules });

/** The markdown's lists, each as the text of its items: proves the rendered README is still valid markdown. */
function lists(markdown: string): string[][] {
  return marked
    .lexer(markdown)
    .filter((token: Token): token is Tokens.List => token.type === "list")
    .map((list) => list.items.map((item) => item.text));
}

describe("exerciseReadme (the README a learner gets)", () => {
  it("renders the rules, ids first, where the placeholder line is", () => {
    const readme = exerciseReadme(exercise("\nEdit `portfolio.py`.\n\n## Rules\n<!-- rules -->\n## Example\n\nText.\n"));
    expect(readme).toBe(
      "# Orders\n\nEdit `portfolio.py`.\n\n## Rules\n\n" +
        "- `market-buy-at-ask`: A market buy fills at the ask, and cash drops by exactly `ask × qty`.\n" +
        "- `positions-copy`: `positions` returns a copy:\n  editing it changes nothing.\n\n## Example\n\nText.\n",
    );
    expect(lists(readme)).toEqual([
      ["`market-buy-at-ask`: A market buy fills at the ask, and cash drops by exactly `ask × qty`.", "`positions-copy`: `positions` returns a copy:\nediting it changes nothing."],
    ]);
  });

  it("keeps a list a list when the placeholder sits right under a paragraph", () => {
    const readme = exerciseReadme(exercise("\nThe rules:\n<!-- rules -->\nMore text.\n"));
    // Without a blank line after the list, "More text." would be read as part of the last rule.
    expect(lists(readme)).toEqual([[expect.stringContaining("market-buy-at-ask"), "`positions-copy`: `positions` returns a copy:\nediting it changes nothing."]]);
    expect(readme).toContain("The rules:\n\n- `market-buy-at-ask`");
    expect(readme).toContain("changes nothing.\n\nMore text.\n");
  });

  it("appends a Rules section when the body has no placeholder", () => {
    const readme = exerciseReadme(exercise("\nEdit `portfolio.py`.\n"));
    expect(readme).toBe(
      "# Orders\n\nEdit `portfolio.py`.\n\n## Rules\n\n- `market-buy-at-ask`: A market buy fills at the ask, and cash drops by exactly `ask × qty`.\n" +
        "- `positions-copy`: `positions` returns a copy:\n  editing it changes nothing.\n",
    );
  });

  it("leaves the body as it is when there are no rules", () => {
    expect(exerciseReadme(exercise("\nEdit `adder.py`.\n", []))).toBe("# Orders\n\nEdit `adder.py`.\n");
    expect(exerciseReadme(exercise("\nEdit it.\n\n<!-- rules -->\n\nDone.\n", []))).toBe("# Orders\n\nEdit it.\n\nDone.\n");
  });

  it("ends with the list when the placeholder is the last line", () => {
    const readme = exerciseReadme(exercise("\nIntro.\n\n<!-- rules -->\n"));
    expect(readme.endsWith("editing it changes nothing.\n")).toBe(true);
    expect(readme).not.toContain("<!-- rules -->");
  });
});
