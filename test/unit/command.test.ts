import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli.js";
import { COMMAND_NAMES, shellQuote, withCommandPrefix } from "../../src/ui/command.js";

describe("commands in printed text take the form that runs where the learner is", () => {
  it.each([
    ["Next: roadmap learn basics", "Next: npx roadmap learn basics"],
    ["Stuck? roadmap hint add-numbers", "Stuck? npx roadmap hint add-numbers"],
    ["run `roadmap init` to start.", "run `npx roadmap init` to start."],
    ["(roadmap review)", "(npx roadmap review)"],
    ['{"command": "roadmap check x"}', '{"command": "npx roadmap check x"}'],
    ["Run: roadmap setup   (or: python -m pip install pytest)", "Run: npx roadmap setup   (or: python -m pip install pytest)"],
    ["roadmap dev check a", "npx roadmap dev check a"],
    ["(run roadmap --help for usage)", "(run npx roadmap --help for usage)"],
    ["  $ roadmap quiz databases --seed 7", "  $ npx roadmap quiz databases --seed 7"],
    // Already in its form, part of a name or a path, or not a command: untouched.
    ["npx roadmap setup", "npx roadmap setup"],
    ["/home/me/python-backend-roadmap init", "/home/me/python-backend-roadmap init"],
    ["a roadmap workspace", "a roadmap workspace"],
    ["this roadmap's verifiers", "this roadmap's verifiers"],
    ["the roadmap checker", "the roadmap checker"],
  ])("%s", (text, expected) => {
    expect(withCommandPrefix(text, "npx roadmap")).toBe(expected);
  });

  it("knows every command the CLI has", () => {
    expect([...COMMAND_NAMES].sort()).toEqual(buildProgram().commands.map((command) => command.name()).sort());
  });

  it.each([
    ["/home/me/tool/bin/roadmap.js", "/home/me/tool/bin/roadmap.js"],
    ["/home/my tools/bin/roadmap.js", "'/home/my tools/bin/roadmap.js'"],
    ["it's", "'it'\\''s'"],
  ])("quotes %s for a shell", (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });
});
