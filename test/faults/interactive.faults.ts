import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, copyCourse, learner } from "../helpers.js";
import { figure, workspaceOf } from "./course.js";

/**
 * Runs the built CLI with stdin a pipe that stays OPEN (nothing is typed, and no end of input either: the case
 * that would hang a prompt) and stdout a pipe. Stops it after 10 s so a hang fails the test instead of blocking.
 */
function runWithOpenStdin(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    const guard = setTimeout(() => child.kill("SIGKILL"), 10_000);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      child.stdin.destroy();
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * "At once" on this machine now: 1 s, or 4 times what a command that never prompts takes to start and exit (the
 * median of three `--version` runs), whichever is more. A loaded machine slows both alike, so the bound scales
 * with it; a command that waits for input is stopped by the 10 s guard and fails either way.
 */
async function atOnceBound(env: NodeJS.ProcessEnv): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push((await runWithOpenStdin(["--version"], env)).ms);
  return Math.max(1000, 4 * runs.sort((a, b) => a - b)[1]!);
}

describe("interactive commands without a terminal", () => {
  it("each stops at once (within 1 s on a quiet machine) with a message naming the non-interactive form, and never waits for input", async () => {
    const course = copyCourse();
    const { person, workspace } = await workspaceOf(course);
    const env = { ...person.env, ROADMAP_PYTHON: process.env.ROADMAP_PYTHON ?? "python3" };
    const inWorkspace = ["--roadmap", course, "--workspace", workspace];
    // Review cards that are due: answer the quiz, then move every card's due date into the past.
    const quiz = await person.run([...inWorkspace, "quiz", "basics", "--answers", "pick-one=four,pick-many=two+five,true-or-false=true"]);
    expect(quiz.code, quiz.stderr).toBe(0);
    const file = join(workspace, ".roadmap", "progress.json");
    const saved = JSON.parse(readFileSync(file, "utf8"));
    for (const card of Object.values(saved.review) as { due: string }[]) card.due = "2020-01-01T00:00:00.000Z";
    writeFileSync(file, JSON.stringify(saved));

    const cases: [string[], string, number, RegExp][] = [
      [["checklist", "basics"], "stderr", 2, /needs an interactive terminal[\s\S]*roadmap checklist basics --done <item-id>/],
      [["checklist"], "stderr", 2, /needs an interactive terminal[\s\S]*--done <item-id>/],
      [["quiz", "basics"], "stderr", 2, /needs an interactive terminal[\s\S]*roadmap quiz basics --answers "pick-one=/],
      [["quiz"], "stderr", 2, /needs an interactive terminal[\s\S]*--answers/],
      [["review"], "stderr", 2, /needs an interactive terminal[\s\S]*roadmap review --answers .*due now: /],
      [["watch"], "stderr", 2, /needs an interactive terminal[\s\S]*roadmap check/],
      [["watch", "add-numbers"], "stderr", 2, /needs an interactive terminal[\s\S]*roadmap check add-numbers/],
      [["solution", "add-numbers"], "stderr", 2, /does not pass yet[\s\S]*roadmap solution add-numbers --yes/],
      [["check", "add-numbers"], "stderr", 2, /verifiers run code from[\s\S]*--trust/],
      [["next"], "stdout", 0, /Next: .*roadmap /s],
    ];
    const timings: string[] = [];
    const bound = await atOnceBound(env);
    for (const [args, stream, code, message] of cases) {
      const result = await runWithOpenStdin([...inWorkspace, ...args], env);
      const what = args.join(" ");
      expect(result.code, `${what}: ${result.stderr}`).toBe(code);
      expect(stream === "stderr" ? result.stderr : result.stdout, what).toMatch(message);
      expect(result.ms, `${what} took ${result.ms} ms (bound ${bound} ms)`).toBeLessThan(bound);
      timings.push(`${what} ${result.ms} ms`);
    }
    // Without a workspace, next's offer to create one is not made: it names roadmap init.
    const stranger = learner();
    const offer = await runWithOpenStdin(["--roadmap", course, "next"], { ...stranger.env });
    expect(offer.code).toBe(0);
    expect(offer.stdout).toContain("roadmap init");
    expect(offer.ms).toBeLessThan(bound);
    timings.push(`next (no workspace) ${offer.ms} ms`);
    const slowest = Math.max(...timings.map((t) => Number(/(\d+) ms$/.exec(t)![1])));
    figure(`no terminal: ${timings.length} interactive forms stop at once, slowest ${slowest} ms, bound ${bound} ms (${timings.join("; ")})`);
  });
});
