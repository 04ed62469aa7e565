import { describe, expect, it } from "vitest";
import { stripControl } from "../../src/sanitize.js";

describe("stripControl", () => {
  it.each([
    ["an OSC 52 clipboard write", "a\u001b]52;c;ZXZpbA==\u0007b", "ab"],
    ["an OSC string ended by ST", "a\u001b]0;title\u001b\\b", "ab"],
    ["clear screen and cursor moves", "\u001b[2J\u001b[Hx\u001b[10;20fy", "xy"],
    ["colours", "\u001b[31mred\u001b[0m", "red"],
    ["8-bit CSI and OSC", "a\u009b31mb\u009d0;t\u0007c", "abc"],
    ["a carriage return that would overwrite a line", "PASS\rFAIL", "PASSFAIL"],
    ["backspaces and bells", "a\u0008\u0007b", "ab"],
    ["a two-character escape", "a\u001bcb", "ab"],
  ])("removes %s", (_, input, output) => {
    expect(stripControl(input)).toBe(output);
  });

  it("keeps text, newlines, tabs and non-ASCII letters", () => {
    const text = "Déjà vu\n\tcafé — €5 → ✓ 日本";
    expect(stripControl(text)).toBe(text);
  });
});
