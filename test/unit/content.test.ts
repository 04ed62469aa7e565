import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import { formatProblem, parseFrontMatter } from "../../src/content/parse.js";
import { stageSchema } from "../../src/content/schema.js";
import { ContentError } from "../../src/errors.js";
import { copyCourse, tempDir } from "../helpers.js";

const validStage = `---
format: 1
id: basics
title: Basics
order: 1
summary: "Short."
checklist:
  - id: one
    text: "One"
quiz:
  questions:
    - id: q
      type: single
      prompt: "Pick"
      options:
        - id: a
          text: "A"
        - id: b
          text: "B"
      answer: b
      explanation: "Because."
---
Body text.
`;

describe("parseFrontMatter", () => {
  it("returns the data, defaults and body of a valid stage", () => {
    const parsed = parseFrontMatter(validStage, "roadmap/01-basics.md", stageSchema);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.data.quiz.pass_mark).toBe(0.8);
    expect(parsed.data.exercises).toEqual([]);
    expect(parsed.body.trim()).toBe("Body text.");
  });

  it.each([
    ["a missing title", (s: string) => s.replace("title: Basics\n", ""), "title:"],
    ["an order that is text", (s: string) => s.replace("order: 1", "order: first"), "order:"],
    ["an id that is not kebab-case", (s: string) => s.replace("id: basics", "id: Basics_1"), "id: must be kebab-case"],
    ["an answer that is no option", (s: string) => s.replace("answer: b", "answer: e"), 'quiz.questions[0].answer: "e" is not one of the option ids (a, b)'],
    ["an unknown question type", (s: string) => s.replace("type: single", "type: essay"), "quiz.questions[0].type"],
    ["an unknown field", (s: string) => s.replace("order: 1", "order: 1\ncolour: red"), "colour"],
    ["an empty checklist text", (s: string) => s.replace('text: "One"', 'text: ""'), "checklist[0].text: must not be empty"],
    ["a duplicate option id", (s: string) => s.replace("- id: b", "- id: a"), 'duplicate option id "a"'],
    ["a newer content format", (s: string) => s.replace("format: 1", "format: 9"), "update python-backend-roadmap"],
    ["broken YAML", (s: string) => s.replace("order: 1", "order: [1"), "front matter is not valid YAML"],
    ["no front matter", () => "# Just a lesson\n", "has no front matter"],
  ])("reports %s as one line naming the field", (_name, mutate, expected) => {
    const parsed = parseFrontMatter(mutate(validStage), "roadmap/01-basics.md", stageSchema);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const lines = parsed.problems.map(formatProblem);
    expect(lines.join("\n")).toContain(expected);
    for (const line of lines) {
      expect(line.startsWith("roadmap/01-basics.md")).toBe(true);
      expect(line).not.toContain("\n");
    }
  });
});

describe("loadRoadmap", () => {
  it("loads the fixture course in order with its exercises", async () => {
    const roadmap = await loadRoadmap(copyCourse());
    expect(roadmap.stages.map((s) => s.id)).toEqual(["basics", "advanced"]);
    expect([...roadmap.exercises.keys()]).toEqual(["add-numbers", "greet"]);
    expect(roadmap.exercises.get("greet")?.stageId).toBe("advanced");
  });

  async function problemsOf(mutate: (root: string) => void): Promise<string[]> {
    const root = copyCourse();
    mutate(root);
    try {
      await loadRoadmap(root);
    } catch (error) {
      expect(error).toBeInstanceOf(ContentError);
      return (error as ContentError).problems;
    }
    throw new Error("expected a ContentError");
  }

  const edit = (root: string, file: string, from: string | RegExp, to: string) => {
    const path = join(root, file);
    writeFileSync(path, readFileSync(path, "utf8").replace(from, to));
  };

  it("collects every problem in every file, each with file and line", async () => {
    const problems = await problemsOf((root) => {
      edit(root, "roadmap/01-basics.md", "answer: four", "answer: five");
      edit(root, "roadmap/02-advanced.md", "title: Advanced", "title: 42");
      edit(root, "exercises/advanced/greet/README.md", "difficulty: easy", "difficulty: trivial");
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^roadmap\/01-basics\.md:\d+: quiz\.questions\[0\]\.answer: "five" is not one of the option ids/);
    expect(problems.some((p) => /^roadmap\/02-advanced\.md:4: title:/.test(p))).toBe(true);
    expect(problems.some((p) => /^exercises\/advanced\/greet\/README\.md:5: difficulty:/.test(p))).toBe(true);
  });

  it("gives broken YAML the line it breaks on", async () => {
    const problems = await problemsOf((root) => edit(root, "roadmap/02-advanced.md", "order: 2", "order: [2"));
    expect(problems).toEqual([expect.stringMatching(/^roadmap\/02-advanced\.md:6: front matter is not valid YAML/)]);
  });

  it.each([
    ["an unknown exercise", (root: string) => edit(root, "roadmap/02-advanced.md", "  - greet", "  - greet\n  - missing-one"), 'exercise "missing-one" has no exercises/advanced/missing-one/README.md'],
    ["a duplicate question id", (root: string) => edit(root, "roadmap/01-basics.md", "id: pick-many", "id: pick-one"), 'duplicate question id "pick-one"'],
    ["a duplicate checklist id", (root: string) => edit(root, "roadmap/01-basics.md", "id: write-function", "id: read-docs"), 'duplicate checklist id "read-docs"'],
    ["a stage id that does not match its file", (root: string) => edit(root, "roadmap/02-advanced.md", "id: advanced", "id: expert"), '"expert" does not match the file name (advanced)'],
    ["an exercise id that does not match its folder", (root: string) => edit(root, "exercises/advanced/greet/README.md", "id: greet", "id: hello"), '"hello" does not match its folder (greet)'],
    ["a learner file missing from starter/", (root: string) => edit(root, "exercises/advanced/greet/README.md", "files: [greeter.py]", "files: [greeter.py, extra.py]"), "extra.py is not in exercises/advanced/greet/starter"],
    ["a file path escaping the exercise", (root: string) => edit(root, "exercises/advanced/greet/README.md", "files: [greeter.py]", "files: [../../x.py]"), "must be a path inside the exercise folder"],
  ])("reports %s", async (_name, mutate, expected) => {
    const problems = await problemsOf(mutate);
    expect(problems.join("\n")).toContain(expected);
  });
});

describe("the content cache", () => {
  it("gives the same roadmap as a fresh load, lessons and prompts included, and notices edits", async () => {
    const { loadRoadmapCached } = await import("../../src/content/cache.js");
    const root = copyCourse();
    const fresh = await loadRoadmap(root);
    await loadRoadmapCached(root, "test");
    const cached = await loadRoadmapCached(root, "test");
    expect(JSON.parse(JSON.stringify(cached.stages))).toEqual(JSON.parse(JSON.stringify(fresh.stages)));
    expect(JSON.parse(JSON.stringify([...cached.exercises.values()]))).toEqual(JSON.parse(JSON.stringify([...fresh.exercises.values()])));
    expect(cached.stages[0]!.lesson).toContain('print("hello")');

    const file = join(root, "roadmap", "02-advanced.md");
    writeFileSync(file, readFileSync(file, "utf8").replace("title: Advanced", "title: Expert"));
    expect((await loadRoadmapCached(root, "test")).stages[1]!.title).toBe("Expert");
  });
});

describe("wrong solutions as patches", () => {
  const solution = new Map([["adder.py", "def add(a, b):\n    return a + b\n"]]);
  const patch = "--- a/adder.py\n+++ b/adder.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a + b\n+    return a + b + 1\n";

  it("applies a patch to the solution's files", async () => {
    const { applyWrongPatch } = await import("../../src/verify/wrong-solutions.js");
    expect(applyWrongPatch(solution, patch, "wrong/x.diff").get("adder.py")).toBe("def add(a, b):\n    return a + b + 1\n");
  });

  it.each([
    ["a patch that no longer matches the solution", new Map([["adder.py", "def add(x, y):\n    return x + y\n"]]), patch, "no longer applies to solution/adder.py"],
    ["a patch naming a file outside the exercise", solution, patch.replaceAll("adder.py", "../evil.py"), "outside the exercise"],
  ])("refuses %s", async (_name, files, text, message) => {
    const { applyWrongPatch } = await import("../../src/verify/wrong-solutions.js");
    expect(() => applyWrongPatch(files, text, "wrong/x.diff")).toThrow(message);
  });
});

describe("exercise files", () => {
  it("stores a learner's .gitignore as gitignore (npm drops .gitignore from packages) and copies it back", async () => {
    const { copyExerciseFiles, learnerPath, storedPath } = await import("../../src/content/files.js");
    expect(storedPath(".gitignore")).toBe("gitignore");
    expect(storedPath("app/.gitignore")).toBe("app/gitignore");
    expect(learnerPath("gitignore")).toBe(".gitignore");
    expect(learnerPath(".github/workflows/ci.yml")).toBe(".github/workflows/ci.yml");
    const from = tempDir();
    writeFileSync(join(from, "gitignore"), ".venv\n");
    writeFileSync(join(from, "mod.py"), "x = 1\n");
    const to = join(tempDir(), "copy");
    copyExerciseFiles(from, to);
    expect(readFileSync(join(to, ".gitignore"), "utf8")).toBe(".venv\n");
    expect(readFileSync(join(to, "mod.py"), "utf8")).toBe("x = 1\n");
    expect(() => copyExerciseFiles(from, to, { overwrite: false })).toThrow();
  });
});
