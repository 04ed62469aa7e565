// A pass must mean something: learner code that tries to fake one, pytest settings from the environment, and
// verifier processes that would outlive roadmap.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, copyCourse, learnerWithWorkspace, processesMarked, repoRoot, stillRunningAfter, tempDir } from "../helpers.js";
import { figure, python, workspaceOf } from "./course.js";

const faulty = join(repoRoot, "test", "fixtures", "faulty");

async function faultyWorkspace() {
  const { person, workspace } = await workspaceOf(faulty);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    person.run(["--roadmap", faulty, "--trust", "--workspace", workspace, ...args], { env: { ROADMAP_PYTHON: python, ...env } });
  return { person, workspace, run };
}

describe("learner code that tries to fake a pass", () => {
  const tricks: [string, RegExp][] = [
    ["tamper-runtest", /Function\.runtest was replaced|never ran to the end/],
    ["tamper-hook", /plugin or hook was registered/],
    ["tamper-exit", /exited \(code 0\) before pytest finished/],
    ["tamper-via-helper", /TestReport\.from_item_and_call was replaced/],
    ["tamper-channel", /something other than the judge wrote/],
  ];

  it.each(tricks)("%s: check fails and says the verifier was tampered with", async (exercise, why) => {
    const { run } = await faultyWorkspace();
    const result = await run(["check", exercise]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain("the verifier was tampered with");
    expect(result.stdout).toMatch(why);
    expect(result.stdout).not.toMatch(/Recorded: .* passes/);
  });

  it("tamper-atexit: an exit code rewritten after pytest ends changes nothing", async () => {
    const { run } = await faultyWorkspace();
    const result = await run(["check", "tamper-atexit"]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain("2 of 2 checks fail");
  });

  it("in a batch, an exercise that tampers is re-run alone: its neighbours keep their own verdicts", async () => {
    const { run } = await faultyWorkspace();
    // One pytest process per variant: the starters of all three run together, and tamper-exit ends that process.
    const result = await run(["dev", "check", "tamper-exit", "plain-wrong", "tamper-runtest", "--jobs", "1", "--json"]);
    const report = JSON.parse(result.stdout) as { exercises: { exercise: string; results: { ok: boolean; summary: string }[] }[] };
    const of = (id: string) => report.exercises.find((e) => e.exercise === id)!.results;
    expect(of("plain-wrong").every((r) => r.ok), result.stdout).toBe(true);
    expect(of("plain-wrong").map((r) => r.summary).join("\n")).toMatch(/starter fails/);
    for (const trick of ["tamper-exit", "tamper-runtest"]) {
      expect(of(trick).find((r) => r.summary.startsWith("starter"))!.summary, trick).toMatch(/judged tampered/);
      expect(of(trick).find((r) => r.summary.startsWith("solution"))!.ok, trick).toBe(true);
    }
  });
});

describe("pytest settings from the environment do not reach the verifier", () => {
  it.each([
    ["PYTEST_ADDOPTS deselecting every test", { PYTEST_ADDOPTS: "-k no_such_test" }],
    ["PYTEST_ADDOPTS loading a plugin", { PYTEST_ADDOPTS: "-p pass_everything" }],
    ["PYTEST_PLUGINS", { PYTEST_PLUGINS: "pass_everything" }],
    ["PYTHONSTARTUP", { PYTHONSTARTUP: "pass_everything.py" }],
  ])("%s: the wrong starter still fails", async (_, env) => {
    const { workspace, run } = await faultyWorkspace();
    // A plugin that turns every result into a pass, where PYTHONPATH and the current folder would find it.
    const plugins = join(workspace, "plugins");
    mkdirSync(plugins, { recursive: true });
    writeFileSync(
      join(plugins, "pass_everything.py"),
      "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    report = outcome.get_result()\n    report.outcome, report.longrepr = 'passed', None\n",
    );
    const startup = "PYTHONSTARTUP" in env ? join(plugins, env.PYTHONSTARTUP) : "";
    const result = await run(["check", "tamper-atexit"], { ...env, PYTHONPATH: plugins, PYTHONSTARTUP: startup });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain("2 of 2 checks fail");
  });
});

describe("a conftest.py above the run folder does not reach the verifier", () => {
  it("one in TMPDIR (the run folder's parent) that passes every test: the wrong starter still fails", async () => {
    const { person, run } = await faultyWorkspace();
    writeFileSync(
      join(person.env.TMPDIR!, "conftest.py"),
      "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    report = outcome.get_result()\n    report.outcome, report.longrepr = 'passed', None\n",
    );
    const result = await run(["check", "tamper-atexit"]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain("2 of 2 checks fail");
  });
});

/** Starts `roadmap check <exercise>` on the faulty course and resolves once its verifier is running. */
async function checkRunning(exercise: string, mark: string) {
  const { person, workspace } = await workspaceOf(faulty);
  const pidFile = join(tempDir(), "child.pid");
  const child = spawn(process.execPath, [cli, "--roadmap", faulty, "--trust", "--workspace", workspace, "check", exercise, "--timeout", "120"], {
    env: { ...person.env, ROADMAP_PYTHON: python, ROADMAP_TEST_MARK: mark, ROADMAP_TEST_PIDFILE: pidFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  // Event-based wait: the verifier's child writes its pid once it runs (no wall-clock guess, so load cannot flake it).
  const deadline = Date.now() + 60_000;
  while (!existsSync(pidFile) || !readFileSync(pidFile, "utf8")) {
    if (Date.now() > deadline) throw new Error(`${exercise}: the verifier never started`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const sleeper = Number(readFileSync(pidFile, "utf8"));
  const tmp = person.env.TMPDIR!;
  return { child, closed, sleeper, verifyFolders: () => readdirSync(tmp).filter((name) => name.startsWith("roadmap-verify-")) };
}

describe("verifier processes die with roadmap", () => {
  it.each(["SIGTERM", "SIGHUP", "SIGKILL", "SIGINT"] as const)("%s to roadmap check ends pytest and every child, and removes the temp folder", async (signal) => {
    const mark = `roadmap-fault-${process.pid}-${Date.now()}-${signal}`;
    const run = await checkRunning("forks-sleeper", mark);
    expect(run.verifyFolders()).toHaveLength(1);
    run.child.kill(signal);
    const ended = await run.closed;
    expect(ended.signal ?? ended.code).toBeTruthy();
    expect(await stillRunningAfter(run.sleeper, 10_000), `the verifier's child (pid ${run.sleeper}) outlived roadmap after ${signal}`).toBe(false);
    const deadline = Date.now() + 10_000;
    while (processesMarked(mark).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(processesMarked(mark)).toEqual([]);
    expect(run.verifyFolders()).toEqual([]);
    figure(`${signal} to check: pytest, its children and the roadmap-verify-* folder all gone`);
  });

  it("a child that leaves the process group (setsid) is still ended at the timeout", async () => {
    const { person, workspace } = await workspaceOf(faulty);
    const pidFile = join(tempDir(), "child.pid");
    const result = await person.run(["--roadmap", faulty, "--trust", "--workspace", workspace, "check", "setsid-sleeper", "--timeout", "3"], {
      env: { ROADMAP_PYTHON: python, ROADMAP_TEST_PIDFILE: pidFile },
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain("did not finish within 3 s");
    const escaped = Number(readFileSync(pidFile, "utf8"));
    expect(await stillRunningAfter(escaped, 5000), `the setsid child (pid ${escaped}) survived the timeout`).toBe(false);
  });

  it("a child that leaves the process group is ended when the run ends normally (the judge is its subreaper)", async () => {
    const { person, workspace } = await workspaceOf(faulty);
    const pidFile = join(tempDir(), "children.pid");
    const result = await person.run(["--roadmap", faulty, "--trust", "--workspace", workspace, "check", "setsid-background"], {
      env: { ROADMAP_PYTHON: python, ROADMAP_TEST_PIDFILE: pidFile },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const escaped = readFileSync(pidFile, "utf8").trim().split("\n").map(Number);
    expect(escaped.length).toBe(2);
    for (const pid of escaped) expect(await stillRunningAfter(pid, 5000), `the setsid child (pid ${pid}) outlived the run`).toBe(false);
  });

  it("a child that leaves the process group is ended when roadmap is SIGKILLed", async () => {
    const mark = `roadmap-fault-${process.pid}-${Date.now()}-setsid-kill`;
    const run = await checkRunning("setsid-sleeper", mark);
    run.child.kill("SIGKILL");
    await run.closed;
    expect(await stillRunningAfter(run.sleeper, 10_000), `the setsid child (pid ${run.sleeper}) outlived a SIGKILLed roadmap`).toBe(false);
    const deadline = Date.now() + 10_000;
    while (processesMarked(mark).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(processesMarked(mark)).toEqual([]);
    expect(run.verifyFolders()).toEqual([]);
  });
});

describe("printed text is clean and bounded", () => {
  const HOSTILE = "\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u001b]0;owned\u0007";
  const hostile = (text: string) => /\u001b\]|\u001b\[2J|\u0007|\u009b|\u009d/.test(text);

  it("terminal escapes in an untrusted roadmap's title, lesson and checklist are not printed", async () => {
    const course = copyCourse();
    const stageFile = join(course, "roadmap", readdirSync(join(course, "roadmap")).sort()[0]!);
    const text = readFileSync(stageFile, "utf8");
    writeFileSync(stageFile, text.replace(/^title: (.*)$/m, `title: "Hostile ${HOSTILE.replace(/\u001b/g, "\\e").replace(/\u0007/g, "\\a")} stage"`) + `\n\nA lesson line ${HOSTILE} ends here.\n`);
    const { person, workspace } = await workspaceOf(course);
    for (const args of [["status"], ["learn", "1"], ["checklist", "1"], ["next"]]) {
      for (const colour of [{ NO_COLOR: "1" }, { NO_COLOR: "", FORCE_COLOR: "1" }]) {
        const result = await person.run(["--roadmap", course, "--workspace", workspace, ...args], { env: colour });
        expect(hostile(result.stdout + result.stderr), `${args.join(" ")} printed an escape: ${JSON.stringify(result.stdout)}`).toBe(false);
        if (args[0] === "status") expect(result.stdout).toContain("Hostile");
      }
    }
  });

  it("terminal escapes in a verifier's failure message are not printed", async () => {
    const { run } = await faultyWorkspace();
    const result = await run(["check", "escape-output"], { FORCE_COLOR: "1", NO_COLOR: "" });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("escape");
    expect(hostile(result.stdout + result.stderr), JSON.stringify(result.stdout)).toBe(false);
    const json = await run(["check", "escape-output", "--json"]);
    expect(hostile(json.stdout)).toBe(false);
  });

  it("a 20 MB exception message keeps roadmap under 200 MB and shows a bounded excerpt", async () => {
    const { person, workspace } = await workspaceOf(faulty);
    const child = spawn(process.execPath, [cli, "--roadmap", faulty, "--trust", "--workspace", workspace, "check", "huge-exception"], {
      env: { ...person.env, ROADMAP_PYTHON: python },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let peakKb = 0;
    const timer = setInterval(() => {
      try {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0));
      } catch {
        // Gone.
      }
    }, 20);
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(timer);
    expect(code).toBe(1);
    expect(stdout).toContain("ValueError");
    expect(stdout.length).toBeLessThan(50_000);
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(200 * 1024);
    figure(`a 20 MB exception message: roadmap's peak RSS ${(peakKb / 1024).toFixed(0)} MB (limit 200 MB), ${stdout.length} bytes shown`);
  });
});

describe("odd input", () => {
  it("--timeout beyond a day is refused in one line, before anything runs", async () => {
    const { run } = await learnerWithWorkspace();
    for (const command of [["check", "add-numbers"], ["watch", "add-numbers"], ["ci"]]) {
      const result = await run([...command, "--timeout", "1e7"]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split("\n")[0]).toMatch(/--timeout 1e7 is more than a day/);
    }
  });

  it("quiz reads progress before the first question: a corrupt file stops it at once", async () => {
    const { run, progressFile } = await learnerWithWorkspace();
    mkdirSync(join(progressFile, ".."), { recursive: true });
    writeFileSync(progressFile, "{ not json");
    const result = await run(["quiz", "basics", "--answers", "-"], { input: "{}" });
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain("Quiz:");
    expect(result.stderr).toContain("is not valid JSON");
  });

  it("a progress file that starts with a UTF-8 byte order mark is read", async () => {
    const { run, progressFile } = await learnerWithWorkspace();
    expect((await run(["checklist", "basics", "--done", "read-docs"])).code).toBe(0);
    writeFileSync(progressFile, `\uFEFF${readFileSync(progressFile, "utf8")}`);
    const result = await run(["status", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).stages[0].checklist.done).toBe(1);
  });

  it("a 50 MB progress file is refused without being parsed", async () => {
    const { run, progressFile } = await learnerWithWorkspace();
    mkdirSync(join(progressFile, ".."), { recursive: true });
    writeFileSync(progressFile, `{"schema": 1, "junk": "${"x".repeat(50 * 1024 * 1024)}"}`);
    const result = await run(["status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is 50 MB, far more than any progress file/);
    expect(readFileSync(progressFile).length).toBeGreaterThan(50 * 1024 * 1024);
  });
});
