import "../validation.js";
import * as z from "zod/mini";

/** The newest content format this version of the tool understands. */
export const CONTENT_FORMAT = 1;

export const ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const id = z.string().check(z.regex(ID_PATTERN, "must be kebab-case: lower-case letters, digits and single dashes"));
const text = z.string().check(z.trim(), z.minLength(1, "must not be empty"));
const format = z.int().check(z.gte(1), z.lte(CONTENT_FORMAT));

const option = z.strictObject({ id, text });
const questionBase = {
  id,
  prompt: text,
  code: z.optional(z.string()),
  explanation: text,
};

export const questionSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ ...questionBase, type: z.literal("single"), options: z.array(option).check(z.minLength(2)), answer: id }),
    z.strictObject({
      ...questionBase,
      type: z.literal("multiple"),
      options: z.array(option).check(z.minLength(2)),
      answer: z.array(id).check(z.minLength(1)),
    }),
    z.strictObject({ ...questionBase, type: z.literal("boolean"), answer: z.boolean() }),
  ])
  .check(
    z.superRefine((question, ctx) => {
      if (question.type === "boolean") return;
      const optionIds = question.options.map((o) => o.id);
      optionIds.forEach((optionId, index) => {
        if (optionIds.indexOf(optionId) !== index) {
          ctx.addIssue({ code: "custom", path: ["options", index, "id"], message: `duplicate option id "${optionId}"`, input: optionId });
        }
      });
      const answers = question.type === "single" ? [question.answer] : question.answer;
      answers.forEach((answer, index) => {
        if (!optionIds.includes(answer)) {
          ctx.addIssue({
            code: "custom",
            path: question.type === "single" ? ["answer"] : ["answer", index],
            message: `"${answer}" is not one of the option ids (${optionIds.join(", ")})`,
            input: answer,
          });
        }
      });
    }),
  );

export const stageSchema = z.strictObject({
  format,
  id,
  title: text,
  order: z.int().check(z.gte(1)),
  summary: text,
  checklist: z._default(z.array(z.strictObject({ id, text })), []),
  exercises: z._default(z.array(id), []),
  quiz: z._default(
    z.strictObject({
      pass_mark: z._default(z.number().check(z.gt(0), z.lte(1)), 0.8),
      questions: z._default(z.array(questionSchema), []),
    }),
    { pass_mark: 0.8, questions: [] },
  ),
});

const relativeFile = z
  .string()
  .check(
    z.minLength(1),
    z.refine((p: string) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), "must be a path inside the exercise folder"),
  );

export const SERVICES = ["redis", "postgresql"] as const;

/** A pytest node id relative to the exercise folder: `test_x.py::test_y`, `test_x.py::TestY::test_z[param]`. */
export const TEST_ID_PATTERN = /^test_\w*\.py(?:::[A-Za-z_]\w*)+(?:\[.*\])?$/;

export const exerciseSchema = z.strictObject({
  format,
  id,
  title: text,
  difficulty: z.enum(["easy", "medium", "hard"]),
  files: z.array(relativeFile).check(z.minLength(1)),
  requires: z._default(
    z.strictObject({
      python: z._default(z.array(text), []),
      services: z._default(z.array(z.enum(SERVICES)), []),
    }),
    { python: [], services: [] },
  ),
  optional: z._default(z.boolean(), false),
  /** Progressive hints, in order; a hint may name the rule(s) it helps with: `{ text, rules: [rule-id, ...] }`. */
  hints: z._default(z.array(z.union([text, z.strictObject({ text, rules: z.array(id).check(z.minLength(1)) })])), []),
  /** The contract, one sentence per rule; rendered into the learner's README and named by tests (@pytest.mark.rule). */
  rules: z._default(z.array(z.strictObject({ id, text })), []),
  /** Each known-wrong solution names the rule(s) it breaks (dev check proves only those rules' tests catch it). */
  wrong: z._default(z.array(z.strictObject({ id, rules: z._default(z.array(id), []), why: text })), []),
  /** Tests allowed to pass on the untouched starter, each with the reason it is not trivially true. */
  starter_passes: z._default(
    z.array(z.strictObject({ test: z.string().check(z.regex(TEST_ID_PATTERN, "must be a test id like test_module.py::test_name")), why: text })),
    [],
  ),
  /** dev mutate survivors that change no behaviour the README states: file, the original and mutated code, why. */
  equivalent_mutants: z._default(z.array(z.strictObject({ file: relativeFile, from: text, to: z.string(), why: text })), []),
}).check(
  z.superRefine((exercise, ctx) => {
    const issue = (path: (string | number)[], message: string, input: unknown) => ctx.addIssue({ code: "custom", path, message, input });
    const ruleIds = exercise.rules.map((rule) => rule.id);
    ruleIds.forEach((ruleId, index) => {
      if (ruleIds.indexOf(ruleId) !== index) issue(["rules", index, "id"], `duplicate rule id "${ruleId}"`, ruleId);
    });
    exercise.hints.forEach((hint, index) => {
      if (typeof hint === "string") return;
      hint.rules.forEach((ruleId, ruleIndex) => {
        if (!ruleIds.includes(ruleId)) issue(["hints", index, "rules", ruleIndex], `"${ruleId}" is not one of the rule ids (${ruleIds.join(", ") || "none: add rules"})`, ruleId);
      });
    });
    const wrongIds = exercise.wrong.map((wrong) => wrong.id);
    exercise.wrong.forEach((wrong, index) => {
      if (wrongIds.indexOf(wrong.id) !== index) issue(["wrong", index, "id"], `duplicate wrong solution id "${wrong.id}"`, wrong.id);
      wrong.rules.forEach((ruleId, ruleIndex) => {
        if (!ruleIds.includes(ruleId)) issue(["wrong", index, "rules", ruleIndex], `"${ruleId}" is not one of the rule ids (${ruleIds.join(", ") || "none: add rules"})`, ruleId);
      });
    });
    const allowed = exercise.starter_passes.map((pass) => pass.test);
    allowed.forEach((test, index) => {
      if (allowed.indexOf(test) !== index) issue(["starter_passes", index, "test"], `"${test}" is listed twice`, test);
    });
  }),
);

export type Question = z.output<typeof questionSchema>;
export type StageFrontMatter = z.output<typeof stageSchema>;
export type ExerciseFrontMatter = z.output<typeof exerciseSchema>;
export type Service = (typeof SERVICES)[number];
