import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { cli, learnerWithWorkspace, tempDir } from "../helpers.js";

const ALL_RIGHT = "pick-one=four,pick-many=two+five,true-or-false=true";
const ONE_RIGHT = "pick-one=three,pick-many=two,true-or-false=true";

/** A learner with a workspace made by `roadmap init`, running `roadmap --roadmap <course> --workspace <dir> ...`. */
describe("roadmap quiz --answers (no terminal)", () => {
  it("a passing attempt: feedback, score, exit 0, saved with its review cards; no stage means the current one", async () => {
    const { run, progress } = await learnerWithWorkspace();
    const result = await run(["quiz", "--answers", ALL_RIGHT, "--seed", "5"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Quiz: Basics, 3 questions, pass mark 60%");
    expect(result.stdout).toContain("--seed 5 repeats this order");
    expect(result.stdout).toContain("Right: 2; 5");
    expect(result.stdout).toContain("4 is divisible by 2.");
    expect(result.stdout).toContain("Score 3/3 (100%): passed.");
    expect(result.stdout).not.toContain("Revisit");

    const saved = progress();
    expect(saved.schema).toBe(2);
    expect(saved.quizzes.basics).toHaveLength(1);
    expect(saved.quizzes.basics[0].answers["pick-many"]).toEqual({ given: ["two", "five"], fingerprint: saved.review["pick-many"].fingerprint });
    expect(saved.quizzes.basics[0]).not.toHaveProperty("passed");
    expect(Date.parse(saved.quizzes.basics[0].at)).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(saved.review).sort()).toEqual(["pick-many", "pick-one", "true-or-false"]);
    expect(saved.review["pick-one"]).toMatchObject({ stage: "basics", reps: 1, lapses: 0 });

    const status = JSON.parse((await run(["status", "--json"])).stdout);
    expect(status.stages[0].quiz).toMatchObject({ best: 1, passed: true });
    expect(status.review).toMatchObject({ cards: 3, due: 0 });
  });

  it("a failing attempt: exit 1, the questions to revisit, saved as not passed; a later pass counts", async () => {
    const { run, progress } = await learnerWithWorkspace();
    const failed = await run(["quiz", "basics", "--answers", ONE_RIGHT]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("Wrong. You chose: 3. The answer: 4");
    expect(failed.stdout).toContain("Wrong. You chose: 2. The answer:");
    expect(failed.stdout).toContain("Score 1/3 (33%): not passed yet. The pass mark is 60%.");
    expect(failed.stdout).toMatch(/Revisit:\n {2}- pick-one: Which number is even\?\n {2}- pick-many: Which are primes\?/);
    expect(progress().quizzes.basics).toMatchObject([{ answers: { "pick-one": { given: ["three"] } } }]);
    expect(progress().review["pick-one"]).toMatchObject({ lapses: 0, reps: 1 });
    expect(JSON.parse((await run(["status", "--json"])).stdout).stages[0].quiz).toMatchObject({ best: 1 / 3, passed: false });

    const passed = await run(["quiz", "1", "--answers", ALL_RIGHT]);
    expect(passed.code).toBe(0);
    expect(progress().quizzes.basics).toHaveLength(2);
    expect(JSON.parse((await run(["status", "--json"])).stdout).stages[0].quiz).toMatchObject({ best: 1, passed: true });
  });

  it("reads JSON answers from stdin with --answers -", async () => {
    const { run, progress } = await learnerWithWorkspace();
    const result = await run(["quiz", "basics", "--answers", "-"], { input: JSON.stringify({ "pick-one": "four", "pick-many": ["five", "two"], "true-or-false": false }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Score 2/3 (67%): passed.");
    expect(progress().quizzes.basics[0].answers["true-or-false"]).toMatchObject({ given: false });
  });

  it.each([
    ["an unknown question id", "pick-one=four,pick-many=two,true-or-false=true,pick-two=a", 'question "pick-two" is not in the quiz of basics'],
    ["an unknown option id", "pick-one=six,pick-many=two,true-or-false=true", 'question "pick-one" has no option "six"'],
    ["a missing answer", "pick-one=four,true-or-false=true", 'no answer for "pick-many"'],
    ["not true or false", "pick-one=four,pick-many=two,true-or-false=maybe", 'question "true-or-false" takes true or false'],
  ])("%s: exit 2 and nothing saved", async (_name, answers, message) => {
    const { run, progressFile: file } = await learnerWithWorkspace();
    const result = await run(["quiz", "basics", "--answers", answers]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
    expect(existsSync(file)).toBe(false);
  });

  it("a stage without questions: a clear message, exit 2", async () => {
    const { run } = await learnerWithWorkspace();
    const result = await run(["quiz", "advanced", "--answers", "x=y"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("stage advanced (Advanced) has no quiz questions.");
    expect(result.stderr).toContain("Stages with a quiz: basics");
  });

  it("without a terminal and without --answers it exits 2 within a second, naming --answers", async () => {
    const { person, course, workspace, progressFile: file } = await learnerWithWorkspace();
    // stdin stays open: a quiz that waited for input would hang here instead of failing fast.
    const child = spawn(process.execPath, [cli, "--roadmap", course, "--workspace", workspace, "quiz", "basics"], { env: person.env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      child.on("close", (c) => (clearTimeout(timer), resolve(c)));
    });
    const elapsed = Date.now() - started;
    child.stdin.end();
    expect(code).toBe(2);
    expect(elapsed).toBeLessThan(1000);
    expect(stderr).toContain("The quiz needs an interactive terminal");
    expect(stderr).toContain('roadmap quiz basics --answers "pick-one=<option-id>,pick-many=<option-id>+<option-id>,true-or-false=true|false"');
    expect(existsSync(file)).toBe(false);
  });

  it("highlights a code snippet on a colour terminal, under a numbered gutter", async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const args = ["--roadmap", course, "--workspace", workspace, "quiz", "basics", "--answers", ALL_RIGHT];
    const colour = await person.run(args, { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(colour.code, colour.stderr).toBe(0);
    expect(colour.stdout).toContain("candidates = [\x1b[32m2\x1b[39m, \x1b[32m4\x1b[39m, \x1b[32m5\x1b[39m]");
    const plain = await person.run(args);
    expect(plain.stdout).toContain("  1 | candidates = [2, 4, 5]\n");
  });

  it("--help shows an example", async () => {
    const { run } = await learnerWithWorkspace();
    expect((await run(["quiz", "--help"])).stdout).toContain("$ roadmap quiz core-python --answers");
    expect((await run(["review", "--help"])).stdout).toContain("$ roadmap review --limit 5");
  });
});

describe("review counts stay cheap", () => {
  it("status and next count due cards without loading ts-fsrs or the prompt library", async () => {
    const { run } = await learnerWithWorkspace();
    expect((await run(["quiz", "basics", "--answers", ALL_RIGHT])).code).toBe(0);
    // Hooks that name every module Node loads, on stderr: ESM through a loader hook, CommonJS (require) by
    // wrapping Module._load, since the CLI is a CommonJS bundle that requires or imports its dependencies.
    const hooks = tempDir("roadmap-hooks-");
    writeFileSync(join(hooks, "hooks.mjs"), 'export async function load(url, context, next) { process.stderr.write(`LOADED ${url}\\n`); return next(url, context); }\n');
    writeFileSync(join(hooks, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(hooks, "hooks.mjs")).href)});\n`);
    writeFileSync(
      join(hooks, "require.cjs"),
      'const Module = require("node:module"); const { pathToFileURL } = require("node:url"); const load = Module._load;\n' +
        'Module._load = function (request, parent, isMain) { try { const file = Module._resolveFilename(request, parent, isMain); if (file.startsWith("/")) process.stderr.write(`LOADED ${pathToFileURL(file).href}\\n`); } catch {} return load.apply(this, arguments); };\n',
    );
    const loaded = async (args: string[]) => {
      const result = await run(args, { env: { NODE_OPTIONS: `--import=${join(hooks, "register.mjs")} --require=${join(hooks, "require.cjs")}` } });
      expect(result.code, result.stderr).toBe(0);
      return [...result.stderr.matchAll(/^LOADED (file:\S+)$/gm)].map((m) => fileURLToPath(m[1]!));
    };
    const signatures = { "ts-fsrs": "FSRSValidationError", "@inquirer/prompts": "force closed the prompt" };
    const quizFiles = await loaded(["quiz", "basics", "--answers", ALL_RIGHT]);
    expect(quizFiles.some((file) => readFileSync(file, "utf8").includes(signatures["ts-fsrs"]))).toBe(true);
    for (const command of [["status"], ["status", "--json"], ["next", "--json"]]) {
      for (const file of await loaded(command)) {
        for (const [library, signature] of Object.entries(signatures)) {
          expect(readFileSync(file, "utf8").includes(signature), `${command.join(" ")} loaded ${library} (${file})`).toBe(false);
        }
      }
    }
  });
});

describe("roadmap review", () => {
  it("serves due cards (a changed question at once), reschedules them, and says when the next are due", async () => {
    const { run, progress, course, progressFile: file } = await learnerWithWorkspace();
    expect((await run(["quiz", "basics", "--answers", "pick-one=four,pick-many=two,true-or-false=true"])).code).toBe(0);

    const nothing = await run(["review"]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain("Nothing to review now.");
    expect(nothing.stdout).toContain("Review cards: 1 card due in 24 hours.");

    // A newer roadmap rewords pick-one: its old card is not trusted; the question is due again now.
    const stageFile = join(course, "roadmap", "01-basics.md");
    writeFileSync(stageFile, readFileSync(stageFile, "utf8").replace("Which number is even?", "Which number is divisible by two?"));
    // And pick-many's card has come due.
    const saved = progress();
    saved.review["pick-many"].due = "2026-01-01T00:00:00.000Z";
    writeFileSync(file, JSON.stringify(saved));

    const status = await run(["status"]);
    expect(status.stdout).toContain("Review cards: 2 cards due now (roadmap review)");
    // The lesson of basics is not read yet, so nothing in the stage is under way: review comes first.
    expect(JSON.parse((await run(["next", "--json"])).stdout)).toMatchObject({ kind: "review", due: 2, command: "roadmap review", reviewDue: 2 });
    expect((await run(["next"])).stdout).toContain("Next: Review 2 quiz questions due again");

    const noTerminal = await run(["review"]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain("due now: pick-one, pick-many");

    const oneOnly = await run(["review", "--limit", "1", "--answers", "pick-one=four"]);
    expect(oneOnly.code, oneOnly.stderr).toBe(0);
    expect(oneOnly.stdout).toContain("Review: 1 card due  (1 more after these)");
    expect(oneOnly.stdout).toContain("Which number is divisible by two?");
    expect(oneOnly.stdout).toContain("Review cards: 1 card due now (roadmap review).");
    expect(progress().review["pick-one"].reps).toBe(1);
    expect(progress().review["pick-one"].fingerprint).not.toBe(saved.review["pick-one"].fingerprint);

    const wrongId = await run(["review", "--answers", "pick-one=four"]);
    expect(wrongId.code).toBe(2);
    expect(wrongId.stderr).toContain('question "pick-one" is not due for review now');

    const rest = await run(["review", "--answers", "pick-many=two+five"]);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain("Reviewed 1 card: 1 right, 0 to see again soon.");
    expect(rest.stdout).toMatch(/Review cards: \d+ cards? due in /);
    expect(progress().review["pick-many"]).toMatchObject({ reps: 2, lapses: 0 });
    expect(Date.parse(progress().review["pick-many"].due)).toBeGreaterThan(Date.now() + 2 * 86_400_000);
    expect(progress().quizzes.basics).toHaveLength(1);
  });
});
