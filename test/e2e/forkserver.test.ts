// The fork servers of dev check and dev mutate (src/verify/forkserver.ts, python/roadmap_forkserver.py): a run forked
// from an exercise's server gives the verdict a cold run gives, is ended at its timeout with what it started, and
// a server that cannot fork safely is not used.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import type { Exercise } from "../../src/content/model.js";
import { ForkServers } from "../../src/verify/forkserver.js";
import type { RunResult } from "../../src/verify/process.js";
import { runVerifiers, type ExerciseVerdict } from "../../src/verify/verify.js";
import { cli, copyCourse, learner, processesMarked, python, repoRoot, stillRunningAfter, tempDir, until } from "../helpers.js";

const pluginDir = join(repoRoot, "python");
const faulty = await loadRoadmap(join(repoRoot, "test", "fixtures", "faulty"));

/** Fork servers that count the runs they served and those they declined (which then ran cold). */
class CountedForkServers extends ForkServers {
  served = 0;
  declined = 0;
  override async run(...args: Parameters<ForkServers["run"]>): Promise<RunResult | undefined> {
    const result = await super.run(...args);
    if (result) this.served++;
    else this.declined++;
    return result;
  }
}

let servers: ForkServers | undefined;
afterEach(() => servers?.close());

function forkServers(pythonPath = python): CountedForkServers {
  const made = new CountedForkServers(pythonPath, pluginDir, 2);
  servers = made;
  return made;
}

/** pids of fork servers running now for these exercises (python -m roadmap_forkserver). */
function serverProcesses(exercises: Exercise[]): number[] {
  const tests = exercises.map((exercise) => `ROADMAP_FORK_TESTS=${join(exercise.dir, "tests")}`);
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").some((entry) => tests.includes(entry));
      } catch {
        return false;
      }
    })
    .map(Number);
}

const summary = (verdict: ExerciseVerdict) => ({ status: verdict.status, tests: verdict.tests.map((t) => [t.id, t.outcome, t.message]), reason: verdict.reason });

async function verify(exercise: Exercise, sourceDir: string, runner?: ForkServers, timeoutMs = 30_000): Promise<ExerciseVerdict> {
  return (await runVerifiers([{ exercise, sourceDir }], { python, pluginDir, timeoutMs, runner })).verdicts[0]!;
}

describe("a fork server", () => {
  it("gives each variant the verdict a cold run gives, forking every run from one server per exercise", { timeout: 60_000 }, async () => {
    const course = await loadRoadmap(copyCourse());
    const forks = forkServers();
    const exercises = [...course.exercises.values()];
    for (const exercise of exercises) {
      for (const variant of ["starter", "solution", "starter"]) {
        const sourceDir = join(exercise.dir, variant);
        const cold = await verify(exercise, sourceDir);
        expect(summary(await verify(exercise, sourceDir, forks))).toEqual(summary(cold));
      }
    }
    expect(forks).toMatchObject({ served: 6, declined: 0 });
    // One server per exercise (runs one at a time reuse it), two kept idle.
    expect(serverProcesses(exercises)).toHaveLength(2);
    forks.close();
    await until(() => serverProcesses(exercises).length === 0, "closed servers exit");
  });

  it("judges a learner module that replaces pytest's runtest as tampered, as a cold run does", { timeout: 60_000 }, async () => {
    const exercise = faulty.exercises.get("tamper-runtest")!;
    const forks = forkServers();
    expect((await verify(exercise, join(exercise.dir, "starter"), forks)).status).toBe("tampered");
    expect(forks.served).toBe(1);
  });

  it("imports what the reference solution imports, yet a learner's file of that name wins, as in a cold run", { timeout: 60_000 }, async () => {
    const course = await loadRoadmap(copyCourse());
    const exercise = course.exercises.get("add-numbers")!;
    // The server imports colorsys (stdlib; nothing else here imports it) because the solution does.
    writeFileSync(join(exercise.dir, "solution", "adder.py"), "import colorsys\n\ndef add(a, b):\n    return a + b\n");
    const learner = tempDir();
    writeFileSync(join(learner, "adder.py"), "from colorsys import add\n");
    writeFileSync(join(learner, "colorsys.py"), "def add(a, b):\n    return a + b\n");
    const cold = await verify(exercise, learner);
    expect(cold.status).toBe("passed");
    const forks = forkServers();
    expect(summary(await verify(exercise, learner, forks))).toEqual(summary(cold));
    expect(forks.served).toBe(1);
  });

  it("ends a run at its timeout with the child it started in a new session, then serves the next run", { timeout: 60_000 }, async () => {
    const exercise = faulty.exercises.get("setsid-sleeper")!;
    const pidFile = join(tempDir(), "child.pid");
    const forks = forkServers();
    process.env.ROADMAP_TEST_PIDFILE = pidFile; // a forked run's environment is taken when it is asked for
    try {
      expect((await verify(exercise, join(exercise.dir, "starter"), forks, 3000)).status).toBe("timeout");
    } finally {
      delete process.env.ROADMAP_TEST_PIDFILE;
    }
    expect(await stillRunningAfter(Number(readFileSync(pidFile, "utf8")), 5000), "the setsid child outlived the timed-out run").toBe(false);
    expect((await verify(exercise, join(exercise.dir, "solution"), forks)).status).toBe("passed");
    expect(forks).toMatchObject({ served: 2, declined: 0 });
  });

  it("is not used when its imports started a thread (a fork copies one thread): the exercise's runs are cold", { timeout: 60_000 }, async () => {
    const course = await loadRoadmap(copyCourse());
    const exercise = course.exercises.get("add-numbers")!;
    // A Python whose every process starts a thread as it starts, as numpy's BLAS pool does on import.
    const dir = tempDir();
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", "sitecustomize.py"), "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n");
    const threaded = join(dir, "python");
    writeFileSync(threaded, `#!/bin/sh\nPYTHONPATH="${join(dir, "site")}:$PYTHONPATH" exec ${python} "$@"\n`);
    chmodSync(threaded, 0o755);
    const forks = forkServers(threaded);
    for (const variant of ["solution", "starter"]) {
      const verdict = (await runVerifiers([{ exercise, sourceDir: join(exercise.dir, variant) }], { python: threaded, pluginDir, timeoutMs: 30_000, runner: forks })).verdicts[0]!;
      expect(verdict.status).toBe(variant === "solution" ? "passed" : "failed");
    }
    expect(forks).toMatchObject({ served: 0, declined: 2 });
  });

  it("declines a run of several exercises (one process judges them all, cold)", async () => {
    const course = await loadRoadmap(copyCourse());
    const forks = forkServers();
    const exercises = [...course.exercises.values()];
    const run = await runVerifiers(
      exercises.map((exercise) => ({ exercise, sourceDir: join(exercise.dir, "solution") })),
      { python, pluginDir, timeoutMs: 30_000, runner: forks },
    );
    expect(run.verdicts.map((v) => v.status)).toEqual(["passed", "passed"]);
    expect(forks).toMatchObject({ served: 0, declined: 1 });
  });
});

describe("dev check's fork servers", () => {
  it("give the report --no-fork (a new Python per run) gives", { timeout: 60_000 }, async () => {
    const course = copyCourse();
    const person = learner();
    // A Python that writes down how it was started: a fork server once per exercise, or pytest once per run.
    const dir = tempDir();
    const started = join(dir, "started.txt");
    const logged = join(dir, "python");
    writeFileSync(logged, `#!/bin/sh\necho "$2 $3" >> "${started}"\nexec ${python} "$@"\n`);
    chmodSync(logged, 0o755);
    const devCheck = async (...extra: string[]) => {
      writeFileSync(started, "");
      const result = await person.run(["--roadmap", course, "--trust", "dev", "check", "--python", logged, "--json", "--jobs", "1", ...extra]);
      return { result, started: readFileSync(started, "utf8").trim().split("\n").sort() };
    };
    const forked = await devCheck();
    const cold = await devCheck("--no-fork");
    expect(forked.result.code, forked.result.stderr).toBe(0);
    expect(JSON.parse(forked.result.stdout)).toEqual(JSON.parse(cold.result.stdout));
    const runs = JSON.parse(cold.result.stdout).exercises.flatMap((e: { results: unknown[] }) => e.results).length;
    expect(cold.started).toEqual(Array(runs).fill("-m pytest"));
    expect(forked.started).toEqual(["-m roadmap_forkserver", "-m roadmap_forkserver"]);
  });

  it.each([
    ["interrupted (Ctrl+C)", "SIGINT", 130],
    ["killed (SIGKILL)", "SIGKILL", null],
  ] as const)("leave nothing running when dev check is %s mid-run", { timeout: 60_000 }, async (_how, signal, exitCode) => {
    const mark = `roadmap-test-${process.pid}-${Date.now()}-${signal}`;
    const child = spawn(process.execPath, [cli, "--roadmap", join(repoRoot, "test", "fixtures", "faulty"), "--trust", "dev", "check", "loops-forever", "--python", python, "--jobs", "1"], {
      // A temporary folder of its own: a SIGKILLed dev check cannot remove the folders it made.
      env: { ...process.env, ROADMAP_TEST_MARK: mark, TMPDIR: tempDir() },
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // The server, then its child running the looping starter: both carry the mark.
    await until(() => processesMarked(mark).filter((pid) => pid !== child.pid).length >= 2, "a forked run is under way");
    child.kill(signal);
    expect(await exited).toBe(exitCode);
    await until(() => processesMarked(mark).length === 0, "the server and its run are gone");
  });
});
