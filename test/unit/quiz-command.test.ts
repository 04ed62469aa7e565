// The quiz command with the prompts module replaced by a script: every prompt must be expected, in order.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Choice } from "../../src/ui/prompts.js";
import { copyCourse, tempDir } from "../helpers.js";

type Asked = { kind: "select" | "checkbox"; message: string; names: string[] };
type Answer = (asked: Asked, choices: Choice<unknown>[]) => unknown;

const fake = vi.hoisted(() => ({ script: [] as Answer[], asked: [] as Asked[] }));

vi.mock("../../src/ui/prompts.js", () => {
  const ask = async (kind: Asked["kind"], message: string, choices: Choice<unknown>[]) => {
    const asked = { kind, message, names: choices.map((c) => c.name) };
    fake.asked.push(asked);
    const answer = fake.script.shift();
    if (!answer) throw new Error(`unexpected ${kind} prompt: ${message}`);
    return answer(asked, choices);
  };
  return {
    isInteractive: () => true,
    requireInteractive: () => undefined,
    select: (message: string, choices: Choice<unknown>[]) => ask("select", message, choices),
    checkbox: (message: string, choices: Choice<unknown>[]) => ask("checkbox", message, choices),
    confirm: async (message: string) => {
      throw new Error(`unexpected confirm prompt: ${message}`);
    },
    input: async (message: string) => {
      throw new Error(`unexpected input prompt: ${message}`);
    },
  };
});

const { quiz } = await import("../../src/commands/quiz.js");
const { review } = await import("../../src/commands/review.js");

/** Picks the choices shown with these texts (wherever the shuffle put them); fails on the wrong kind of prompt. */
const pick =
  (kind: Asked["kind"], ...names: string[]): Answer =>
  (asked, choices) => {
    expect(asked.kind).toBe(kind);
    const values = names.map((name) => {
      const choice = choices.find((c) => c.name === name);
      if (!choice) throw new Error(`no choice "${name}" in ${asked.message}: ${asked.names.join(", ")}`);
      return choice.value;
    });
    return kind === "select" ? values[0] : values;
  };
const interrupt: Answer = () => {
  throw Object.assign(new Error("User force closed the prompt with SIGINT"), { name: "ExitPromptError" });
};

let output: string;
let workspace: string;
let course: string;
const progressFile = () => join(workspace, ".roadmap", "progress.json");

beforeEach(() => {
  fake.script = [];
  fake.asked = [];
  output = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((output += String(chunk)), true));
  course = copyCourse();
  workspace = tempDir("roadmap-ws-");
  mkdirSync(join(workspace, ".roadmap"), { recursive: true });
  writeFileSync(join(workspace, ".roadmap", "workspace.json"), JSON.stringify({ roadmap: "python-backend-roadmap", version: "0.1.0", createdAt: "2026-01-01T00:00:00Z" }));
});

afterEach(() => {
  vi.restoreAllMocks();
  expect(fake.script, "prompts the test expected but the quiz never asked").toEqual([]);
});

const options = (extra: Record<string, string> = {}) => ({ roadmap: course, workspace, ...extra });

describe("roadmap quiz on a terminal (prompts faked)", () => {
  it("asks each question with the right prompt, records answers by option id, and passes", async () => {
    fake.script = [pick("select", "4"), pick("checkbox", "2", "5"), pick("select", "False")];
    await quiz("basics", options({ seed: "3" }));

    expect(fake.asked.map((a) => [a.kind, a.message])).toEqual([
      ["select", "Which number is even?"],
      ["checkbox", "Which are primes?"],
      ["select", "Python lists are mutable."],
    ]);
    expect(fake.asked[2]!.names).toEqual(["True", "False"]);
    const attempt = JSON.parse(readFileSync(progressFile(), "utf8")).quizzes.basics[0];
    expect(attempt).toEqual({
      at: expect.any(String),
      answers: {
        "pick-one": { given: ["four"], fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) },
        "pick-many": { given: ["two", "five"], fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) },
        "true-or-false": { given: false, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) },
      },
    });
    expect(output).toContain("1 | candidates = [2, 4, 5]");
    expect(output).toContain("Wrong. You chose: False. The answer: True");
    expect(output).toContain("You can append to a list.");
    expect(output).toContain("Score 2/3 (67%): passed.");
    expect(output).toMatch(/Revisit:\n {2}- true-or-false: Python lists are mutable\./);
  });

  it("a partial selection is wrong; below the pass mark the quiz exits 1 and still saves the attempt", async () => {
    fake.script = [pick("select", "3"), pick("checkbox", "2"), pick("select", "True")];
    await expect(quiz("basics", options())).rejects.toMatchObject({ name: "ExitError", exitCode: 1 });
    const attempt = JSON.parse(readFileSync(progressFile(), "utf8")).quizzes.basics[0];
    expect(attempt).toMatchObject({ answers: { "pick-many": { given: ["two"] } } });
    expect(output).toContain("Score 1/3 (33%): not passed yet.");
  });

  it("the same --seed shows the options in the same order", async () => {
    const orders = async (seed: string) => {
      fake.asked = [];
      fake.script = [pick("select", "4"), pick("checkbox", "2", "5"), pick("select", "True")];
      await quiz("basics", options({ seed }));
      return fake.asked.map((a) => a.names);
    };
    const first = await orders("11");
    expect(await orders("11")).toEqual(first);
    const seen = new Set<string>();
    for (const seed of ["1", "2", "3", "4", "5", "6"]) seen.add(JSON.stringify(await orders(seed)));
    expect(seen.size).toBeGreaterThan(1);
  });

  it("Ctrl+C in the middle saves nothing", async () => {
    fake.script = [pick("select", "4"), interrupt];
    await expect(quiz("basics", options())).rejects.toMatchObject({ name: "ExitPromptError" });
    expect(existsSync(progressFile())).toBe(false);
  });

  it("with --answers it asks nothing", async () => {
    await quiz("basics", options({ answers: "pick-one=four,pick-many=two+five,true-or-false=true" }));
    expect(fake.asked).toEqual([]);
    expect(Object.keys(JSON.parse(readFileSync(progressFile(), "utf8")).quizzes.basics[0].answers)).toEqual(["pick-one", "pick-many", "true-or-false"]);
    expect(output).toContain("Score 3/3 (100%): passed.");
  });

  it("taken before, it asks only the changed question; --all asks every one", async () => {
    await quiz("basics", options({ answers: "pick-one=four,pick-many=two+five,true-or-false=true" }));
    const stageFile = join(course, "roadmap", "01-basics.md");
    writeFileSync(stageFile, readFileSync(stageFile, "utf8").replace("Which are primes?", "Which of these are primes?"));
    output = "";

    fake.script = [pick("checkbox", "2", "5")];
    await quiz("basics", options());
    expect(fake.asked.map((a) => a.message)).toEqual(["Which of these are primes?"]);
    expect(output).toContain("Quiz: Basics, 1 new or changed question of 3");
    expect(output).toContain("Score 3/3 (100%): passed.");

    fake.asked = [];
    fake.script = [pick("select", "4"), pick("checkbox", "2", "5"), pick("select", "True")];
    await quiz("basics", { ...options(), all: true });
    expect(fake.asked.map((a) => a.message)).toEqual(["Which number is even?", "Which of these are primes?", "Python lists are mutable."]);
  });

  it("a stage without questions says so before any prompt (exit 2)", async () => {
    await expect(quiz("advanced", options())).rejects.toMatchObject({ name: "UserError", exitCode: 2, message: expect.stringContaining("has no quiz questions") });
    expect(existsSync(progressFile())).toBe(false);
  });
});

describe("roadmap review on a terminal (prompts faked)", () => {
  it("asks only the due cards, the longest overdue first, and reschedules each with its answer", async () => {
    await expect(quiz("basics", options({ answers: "pick-one=four,pick-many=two,true-or-false=false" }))).rejects.toMatchObject({ exitCode: 1 });
    const saved = JSON.parse(readFileSync(progressFile(), "utf8"));
    saved.review["true-or-false"].due = "2026-01-01T00:00:00.000Z";
    saved.review["pick-many"].due = "2026-02-01T00:00:00.000Z";
    writeFileSync(progressFile(), JSON.stringify(saved));
    output = "";

    fake.script = [pick("select", "True"), pick("checkbox", "2")];
    await review(options());

    expect(fake.asked.map((a) => [a.kind, a.message])).toEqual([
      ["select", "Python lists are mutable."],
      ["checkbox", "Which are primes?"],
    ]);
    const cards = JSON.parse(readFileSync(progressFile(), "utf8")).review;
    expect(cards["pick-one"]).toEqual(saved.review["pick-one"]);
    expect(cards["true-or-false"]).toMatchObject({ reps: 2, lapses: 0 });
    expect(cards["pick-many"]).toMatchObject({ reps: 2, lapses: 1 }); // wrong again: a lapse
    expect(Date.parse(cards["true-or-false"].due)).toBeGreaterThan(Date.parse(cards["pick-many"].due));
    expect(output).toContain("Review: 2 cards due");
    expect(output).toContain("Reviewed 2 cards: 1 right, 1 to see again soon.");
    expect(output).toContain("Review cards: 1 card due in 24 hours.");
  });

  it("with nothing due it asks nothing", async () => {
    await review(options());
    expect(fake.asked).toEqual([]);
    expect(output).toContain("No review cards yet");
  });
});
