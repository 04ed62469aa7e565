// The warm path of watch (src/verify/warm.ts, python/roadmap_warm.py): a verifier process started ahead of its
// run gives the same verdict as a cold one, keeps the judge's guarantees, and never outlives its use.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import type { Exercise } from "../../src/content/model.js";
import { runVerifiers, type ExerciseVerdict } from "../../src/verify/verify.js";
import { discardWarmVerifier, prepareWarmVerifier, takeWarmVerifier } from "../../src/verify/warm.js";
import { python, repoRoot, stillRunningAfter, tempDir, until } from "../helpers.js";

const pluginDir = join(repoRoot, "python");
const course = await loadRoadmap(join(repoRoot, "test", "fixtures", "course"));
const faulty = await loadRoadmap(join(repoRoot, "test", "fixtures", "faulty"));

/** pids of warm verifiers (pytest with the roadmap_warm plugin) started for this exercise. */
function warmProcesses(exercise: Exercise): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return args.includes("roadmap_warm") && args.some((arg) => arg.endsWith(`/${exercise.id}`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

const summary = (verdict: ExerciseVerdict) => ({ status: verdict.status, tests: verdict.tests.map((t) => [t.id, t.outcome]), reason: verdict.reason });

async function verify(exercise: Exercise, sourceDir: string, warm: boolean): Promise<ExerciseVerdict> {
  const process = warm ? await takeWarmVerifier(python, exercise) : undefined;
  if (warm) expect(process, "a warm verifier was waiting").toBeDefined();
  const run = await runVerifiers([{ exercise, sourceDir }], { python, pluginDir, timeoutMs: 30_000, warm: process });
  return run.verdicts[0]!;
}

afterEach(() => discardWarmVerifier());

describe("a warm verifier", () => {
  it.each([
    ["a failing starter", "starter"],
    ["a passing solution", "solution"],
  ])("gives %s the same verdict as a cold run", { timeout: 60_000 }, async (_name, variant) => {
    const exercise = course.exercises.get("add-numbers")!;
    const sourceDir = join(exercise.dir, variant);
    const cold = await verify(exercise, sourceDir, false);
    prepareWarmVerifier(python, pluginDir, exercise);
    await until(() => warmProcesses(exercise).length === 1, "the warm verifier runs");
    const warm = await verify(exercise, sourceDir, true);
    expect(summary(warm)).toEqual(summary(cold));
    expect(warm.status).toBe(variant === "solution" ? "passed" : "failed");
    expect(warmProcesses(exercise)).toEqual([]);
  });

  it("judges a learner module that replaces pytest's runtest as tampered, as a cold run does", { timeout: 60_000 }, async () => {
    const exercise = faulty.exercises.get("tamper-runtest")!;
    prepareWarmVerifier(python, pluginDir, exercise);
    const verdict = await verify(exercise, join(exercise.dir, "starter"), true);
    expect(verdict.status).toBe("tampered");
  });

  it("imports ahead what the last run imported late, yet a learner's file of that name wins, as in a cold run", { timeout: 60_000 }, async () => {
    const exercise = course.exercises.get("add-numbers")!;
    // First run: the learner's module imports colorsys (stdlib; nothing else here imports it).
    const first = tempDir();
    writeFileSync(join(first, "adder.py"), "import colorsys\n\ndef add(a, b):\n    return a + b\n");
    prepareWarmVerifier(python, pluginDir, exercise);
    expect((await verify(exercise, first, true)).status).toBe("passed");
    prepareWarmVerifier(python, pluginDir, exercise);
    await until(() => warmProcesses(exercise).length === 1, "the next warm verifier runs");
    const environ = readFileSync(`/proc/${warmProcesses(exercise)[0]}/environ`, "utf8").split("\0");
    expect(environ.find((entry) => entry.startsWith("ROADMAP_PRELOAD_IMPORTS="))).toMatch(/[=,]colorsys(,|$)/);
    // Now the learner has a colorsys.py of their own: a cold run imports it, so the warm one must too.
    const second = tempDir();
    writeFileSync(join(second, "adder.py"), "from colorsys import add\n");
    writeFileSync(join(second, "colorsys.py"), "def add(a, b):\n    return a + b\n");
    const cold = await verify(exercise, second, false);
    expect(cold.status).toBe("passed");
    expect(summary(await verify(exercise, second, true))).toEqual(summary(cold));
  });

  it("is stopped at the timeout with the child it started in a new session (setsid), as a cold run is", { timeout: 60_000 }, async () => {
    const exercise = faulty.exercises.get("setsid-sleeper")!;
    const pidFile = join(tempDir(), "child.pid");
    process.env.ROADMAP_TEST_PIDFILE = pidFile; // the spare's environment is taken when it starts
    try {
      prepareWarmVerifier(python, pluginDir, exercise);
    } finally {
      delete process.env.ROADMAP_TEST_PIDFILE;
    }
    const warm = await takeWarmVerifier(python, exercise);
    expect(warm, "a warm verifier was waiting").toBeDefined();
    const run = await runVerifiers([{ exercise, sourceDir: join(exercise.dir, "starter") }], { python, pluginDir, timeoutMs: 3000, warm });
    expect(run.verdicts[0]!.status).toBe("timeout");
    expect(await stillRunningAfter(Number(readFileSync(pidFile, "utf8")), 5000), "the setsid child outlived the timed-out warm run").toBe(false);
    expect(warmProcesses(exercise)).toEqual([]);
  });

  it("is not used when it died while it waited: the check runs cold, with the right verdict", { timeout: 60_000 }, async () => {
    const exercise = course.exercises.get("add-numbers")!;
    // The previous test's spare may still be ending: the one to kill is the one this test starts.
    const earlier = new Set(warmProcesses(exercise));
    prepareWarmVerifier(python, pluginDir, exercise);
    let spare: number | undefined;
    await until(() => (spare = warmProcesses(exercise).find((pid) => !earlier.has(pid))) !== undefined, "the warm verifier runs");
    process.kill(spare!, "SIGKILL");
    await until(() => !warmProcesses(exercise).includes(spare!), "the warm verifier is gone");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await takeWarmVerifier(python, exercise)).toBeUndefined();
    const run = await runVerifiers([{ exercise, sourceDir: join(exercise.dir, "solution") }], { python, pluginDir, timeoutMs: 30_000 });
    expect(run.verdicts[0]!.status).toBe("passed");
  });

  it("is ended, not used, when the next check is of another exercise, and when watch stops", { timeout: 60_000 }, async () => {
    const [first, second] = [course.exercises.get("add-numbers")!, course.exercises.get("greet")!];
    prepareWarmVerifier(python, pluginDir, first);
    await until(() => warmProcesses(first).length === 1, "the warm verifier runs");
    expect(await takeWarmVerifier(python, second)).toBeUndefined();
    await until(() => warmProcesses(first).length === 0, "the unused warm verifier is gone");
    prepareWarmVerifier(python, pluginDir, second);
    await until(() => warmProcesses(second).length === 1, "the second warm verifier runs");
    discardWarmVerifier();
    await until(() => warmProcesses(second).length === 0, "the discarded warm verifier is gone");
  });
});
