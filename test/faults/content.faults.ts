import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learner } from "../helpers.js";
import { figure } from "./course.js";

const STAGE = "roadmap/01-basics.md";
const EXERCISE = "exercises/basics/add-numbers/README.md";

/**
 * A change to a copy of the fixture course, and what one error line must name: the file, the line, and the field
 * ("" for a file-wide problem such as broken YAML, which still has a line; `noLine` when there is no front matter).
 */
interface Mutation {
  name: string;
  change: (course: string) => void;
  file: string;
  field: string;
  noLine?: true;
}

/** Replaces `from` (which must be there) with `to` in a file of the course. */
const replace = (file: string, from: string, to: string) => (course: string) => {
  const path = join(course, file);
  const text = readFileSync(path, "utf8");
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  writeFileSync(path, text.replace(from, to));
};

const mutations: Mutation[] = [
  { name: "stage without a title", change: replace(STAGE, "title: Basics\n", ""), file: STAGE, field: "title" },
  { name: "stage title of a wrong type", change: replace(STAGE, "title: Basics", "title: [1, 2]"), file: STAGE, field: "title" },
  { name: "stage order not a number", change: replace(STAGE, "order: 1", "order: one"), file: STAGE, field: "order" },
  { name: "stage order zero", change: replace(STAGE, "order: 1", "order: 0"), file: STAGE, field: "order" },
  { name: "stage without a summary", change: replace(STAGE, 'summary: "A tiny first stage for tests."\n', ""), file: STAGE, field: "summary" },
  { name: "stage id with ../", change: replace(STAGE, "id: basics", "id: ../basics"), file: STAGE, field: "id" },
  { name: "stage id not matching its file name", change: replace(STAGE, "id: basics", "id: other"), file: STAGE, field: "id" },
  { name: "a newer content format", change: replace(STAGE, "format: 1", "format: 2"), file: STAGE, field: "format" },
  { name: "an unknown stage field", change: replace(STAGE, "order: 1", "order: 1\ncolour: blue"), file: STAGE, field: "colour" },
  { name: "duplicate checklist ids", change: replace(STAGE, "id: write-function", "id: read-docs"), file: STAGE, field: "checklist[1].id" },
  { name: "checklist item without text", change: replace(STAGE, '    text: "Write a function"\n', ""), file: STAGE, field: "checklist[1].text" },
  { name: "checklist that is not a list", change: replace(STAGE, 'checklist:\n  - id: read-docs\n    text: "Read the docs"\n  - id: write-function\n    text: "Write a function"', "checklist: read the docs"), file: STAGE, field: "checklist" },
  { name: "an unknown exercise", change: replace(STAGE, "  - add-numbers", "  - add-numbers\n  - no-such-exercise"), file: STAGE, field: "exercises[1]" },
  { name: "an exercise id with a shell character", change: replace(STAGE, "  - add-numbers", "  - add-numbers;rm"), file: STAGE, field: "exercises[0]" },
  { name: "answer pointing at no option", change: replace(STAGE, "answer: four", "answer: seven"), file: STAGE, field: "quiz.questions[0].answer" },
  { name: "a multiple answer pointing at no option", change: replace(STAGE, "answer: [two, five]", "answer: [two, nine]"), file: STAGE, field: "quiz.questions[1].answer[1]" },
  { name: "a true-or-false answer that is not a boolean", change: replace(STAGE, "answer: true", "answer: maybe"), file: STAGE, field: "quiz.questions[2].answer" },
  { name: "an unknown question type", change: replace(STAGE, "type: boolean", "type: essay"), file: STAGE, field: "quiz.questions[2].type" },
  { name: "duplicate question ids", change: replace(STAGE, "id: true-or-false", "id: pick-one"), file: STAGE, field: "quiz.questions[2].id" },
  { name: "duplicate option ids", change: replace(STAGE, "        - id: three", "        - id: four"), file: STAGE, field: "quiz.questions[0].options[1].id" },
  { name: "a question with one option", change: replace(STAGE, '        - id: three\n          text: "3"\n', ""), file: STAGE, field: "quiz.questions[0].options" },
  { name: "a pass mark above 1", change: replace(STAGE, "pass_mark: 0.6", "pass_mark: 60"), file: STAGE, field: "quiz.pass_mark" },
  { name: "broken YAML (an unclosed bracket)", change: replace(STAGE, "title: Basics", "title: [Basics"), file: STAGE, field: "" },
  { name: "broken YAML (a tab for indentation)", change: replace(STAGE, "  - id: read-docs", "\t- id: read-docs"), file: STAGE, field: "" },
  { name: "a stage file without front matter", change: replace(STAGE, "---\nformat: 1", "format: 1"), file: STAGE, field: "", noLine: true },
  {
    name: "two stages with one id",
    change: (course) => {
      replace("roadmap/02-advanced.md", "id: advanced", "id: basics")(course);
      renameSync(join(course, "roadmap/02-advanced.md"), join(course, "roadmap/02-basics.md"));
    },
    file: "roadmap/02-basics.md",
    field: "id",
  },
  { name: "exercise without a title", change: replace(EXERCISE, 'title: "Add two numbers"\n', ""), file: EXERCISE, field: "title" },
  { name: "exercise files not a list", change: replace(EXERCISE, "files: [adder.py]", "files: adder.py"), file: EXERCISE, field: "files" },
  { name: "exercise file outside its folder", change: replace(EXERCISE, "files: [adder.py]", "files: [../../adder.py]"), file: EXERCISE, field: "files[0]" },
  { name: "exercise file missing from the starter", change: replace(EXERCISE, "files: [adder.py]", "files: [adder.py, missing.py]"), file: EXERCISE, field: "files[1]" },
  { name: "an unknown difficulty", change: replace(EXERCISE, "difficulty: easy", "difficulty: impossible"), file: EXERCISE, field: "difficulty" },
  { name: "an exercise id not matching its folder", change: replace(EXERCISE, "id: add-numbers", "id: add-them"), file: EXERCISE, field: "id" },
  { name: "an exercise id with ../", change: replace(EXERCISE, "id: add-numbers", "id: ../../etc"), file: EXERCISE, field: "id" },
  { name: "hints that are not a list", change: replace(EXERCISE, 'hints:\n  - "Look at the + operator."\n  - "Return the sum, do not print it."\n  - "return a + b"', 'hints: "return a + b"'), file: EXERCISE, field: "hints" },
  { name: "an unknown service", change: replace(EXERCISE, "difficulty: easy", "difficulty: easy\nrequires:\n  services: [mongodb]"), file: EXERCISE, field: "requires.services[0]" },
  { name: "broken YAML in an exercise", change: replace(EXERCISE, "difficulty: easy", "difficulty: : easy: ["), file: EXERCISE, field: "" },
  {
    name: "an exercise folder no stage lists",
    change: (course) => {
      const dir = join(course, "exercises/basics/orphan");
      mkdirSync(join(dir, "starter"), { recursive: true });
      writeFileSync(join(dir, "README.md"), readFileSync(join(course, EXERCISE), "utf8").replace("id: add-numbers", "id: orphan"));
      writeFileSync(join(dir, "starter", "adder.py"), "");
    },
    file: "exercises/basics/orphan/README.md",
    field: "",
  },
  { name: "an exercise without its README", change: (course) => rmSync(join(course, EXERCISE)), file: STAGE, field: "exercises[0]" },
];

describe("malformed content", () => {
  it(`${mutations.length} mutations of valid content: each one line naming file and field, exit 2, no stack trace`, async () => {
    expect(mutations.length).toBeGreaterThanOrEqual(30);
    const person = learner();
    const results = await Promise.all(
      mutations.map(async (mutation) => {
        const course = copyCourse();
        mutation.change(course);
        return { mutation, result: await person.run(["--roadmap", course, "status"]) };
      }),
    );
    const report = results.map(({ mutation, result }) => {
      const lines = result.stderr.trim().split("\n");
      const where = mutation.noLine ? `error ${mutation.file}: ` : `error ${mutation.file}:`;
      const names = (line: string) =>
        line.startsWith(where) &&
        (mutation.noLine || /^error \S+:\d+: /.test(line)) &&
        (mutation.field === "" || line.includes(`: ${mutation.field}: `));
      // Every line is a located error (a mutation may break more than one thing); one of them names the change.
      const ok = result.code === 2 && lines.every((line) => /^error \S+: /.test(line)) && lines.some(names) && !/\n\s+at /.test(result.stderr);
      return { name: mutation.name, ok, exit: result.code, stderr: result.stderr.trim() };
    });
    expect(report.filter((entry) => !entry.ok)).toEqual([]);
    figure(`malformed content: ${report.length} of ${mutations.length} mutations give one line naming file, line and field, exit 2, no stack`);
  });
});
