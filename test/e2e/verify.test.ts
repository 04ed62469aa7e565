import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, copyCourse, learner, learnerWithWorkspace, processesMarked, python, repoRoot, stillRunningAfter, tempDir } from "../helpers.js";

const faulty = join(repoRoot, "test", "fixtures", "faulty");

describe("roadmap check", () => {
  it("reports each failing check with the verifier's message, exit 1, and records nothing", async () => {
    const { run, progress } = await learnerWithWorkspace(copyCourse());
    const result = await run(["check", "add-numbers"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL add-numbers: 2 of 2 checks fail");
    expect(result.stdout).toContain("FAIL test_adds_small_numbers");
    expect(result.stdout).toContain("add(2, 3) must return 5");
    expect(result.stdout).toContain("roadmap hint add-numbers");
    expect(progress().exercises?.["add-numbers"]?.passedAt).toBeUndefined();
  });

  it("records a pass with its time and points at the next step", async () => {
    const course = copyCourse();
    const { workspace, run, progress } = await learnerWithWorkspace(course);
    writeFileSync(join(workspace, "basics/add-numbers/adder.py"), "def add(a, b):\n    return a + b\n");
    const result = await run(["check"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("PASS add-numbers: all 2 checks pass");
    expect(result.stdout).toContain("Recorded: add-numbers passes.");
    expect(progress().exercises["add-numbers"].passedAt).toMatch(/^\d{4}-/);
    const json = JSON.parse((await run(["check", "add-numbers", "--json"])).stdout);
    expect(json).toMatchObject({ exercise: "add-numbers", passed: true, status: "passed" });
    expect(json.tests).toHaveLength(2);
  });

  it("gives the verdict once the judge's last line is in, without waiting for Python to exit, and ends that Python", async () => {
    const { workspace, run } = await learnerWithWorkspace(copyCourse());
    const pidFile = join(tempDir(), "pytest.pid");
    // A learner module whose interpreter would take 30 s to exit after pytest has finished.
    writeFileSync(
      join(workspace, "basics/add-numbers/adder.py"),
      `import atexit, os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\natexit.register(time.sleep, 30)\n\ndef add(a, b):\n    return a + b\n`,
    );
    const started = Date.now();
    const result = await run(["check", "add-numbers"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("PASS add-numbers: all 2 checks pass");
    expect(Date.now() - started, "check waited for the interpreter's exit").toBeLessThan(20_000);
    expect(await stillRunningAfter(Number(readFileSync(pidFile, "utf8")), 5000), "the verifier's Python outlived its verdict").toBe(false);
  });

  it("runs the tool's own tests, so edited tests in the workspace cannot fake a pass", async () => {
    const { workspace, run } = await learnerWithWorkspace(copyCourse());
    writeFileSync(join(workspace, "basics/add-numbers/test_add_numbers.py"), "def test_nothing():\n    assert True\n");
    writeFileSync(join(workspace, "basics/add-numbers/conftest.py"), "import pytest\n@pytest.fixture(autouse=True)\ndef skip_all():\n    pytest.skip('faked')\n");
    const result = await run(["check", "add-numbers"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("2 of 2 checks fail");
  });

  it.each([["../../etc/passwd"], ["/etc"], ["add-numbers; rm -rf ~"]])("refuses the exercise id %j", async (id) => {
    const { run } = await learnerWithWorkspace(copyCourse());
    const result = await run(["check", id]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`unknown exercise "${id}"`);
  });

  it("names a missing Python package and the fix, exit 2", async () => {
    const { run } = await learnerWithWorkspace(faulty);
    const result = await run(["check", "needs-package"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("needs-package needs Python packages that");
    expect(result.stderr).toContain("definitely-not-installed-package");
    expect(result.stderr).toContain("roadmap setup");
  });

  it("names a Python without pytest, exit 2", async () => {
    const venv = join(tempDir(), "bare");
    expect(spawnSync(python, ["-m", "venv", "--without-pip", venv]).status).toBe(0);
    const { run } = await learnerWithWorkspace(copyCourse());
    const result = await run(["check", "add-numbers", "--python", join(venv, "bin", "python")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pytest is not installed for");
  });

  it("says when a required service is missing instead of failing the learner's code", async () => {
    const { run } = await learnerWithWorkspace(faulty);
    const python3 = spawnSync(python, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
    const result = await run(["check", "needs-redis", "--python", python3], { env: { PATH: "/nonexistent", ROADMAP_STRICT: "" } });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("not verified here: this exercise needs redis-server");
  });

  it("kills a verifier that loops forever at the timeout, with the children it forked", async () => {
    const { run } = await learnerWithWorkspace(faulty);
    const pidFile = join(tempDir(), "child.pid");
    const mark = `roadmap-test-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const loops = await run(["check", "loops-forever", "--timeout", "2"], { env: { ROADMAP_TEST_MARK: mark } });
    expect(loops.code).toBe(1);
    expect(loops.stdout).toContain("did not finish within 2 s");
    expect(loops.stdout).toContain("may loop forever");

    const forks = await run(["check", "forks-sleeper", "--timeout", "2"], { env: { ROADMAP_TEST_PIDFILE: pidFile, ROADMAP_TEST_MARK: mark } });
    expect(forks.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const child = Number(readFileSync(pidFile, "utf8"));
    expect(child).toBeGreaterThan(0);
    expect(await stillRunningAfter(child, 3000), `the forked sleep (pid ${child}) outlived the verifier`).toBe(false);
    expect(processesMarked(mark)).toEqual([]);
  });

  it("Ctrl+C during a check stops the verifier's whole tree and exits 130", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace(faulty);
    const mark = `roadmap-test-${process.pid}-${Date.now()}-interrupt`;
    // The verifier runs in a process group of its own, so a terminal's Ctrl+C reaches only roadmap: send it that.
    const child = spawn(process.execPath, [cli, "--roadmap", course, "--trust", "--workspace", workspace, "check", "loops-forever"], {
      env: { ...person.env, ROADMAP_PYTHON: python, ROADMAP_TEST_MARK: mark },
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (processesMarked(mark).filter((pid) => pid !== child.pid).length === 0 && Date.now() < deadline) await sleep(20);
    expect(processesMarked(mark).filter((pid) => pid !== child.pid).length, "the verifier never started").toBeGreaterThan(0);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const gone = Date.now() + 3000;
    while (processesMarked(mark).length && Date.now() < gone) await sleep(50);
    expect(processesMarked(mark)).toEqual([]);
  });

  it("keeps a verifier that prints 50 MB from blowing up memory", async () => {
    const { run } = await learnerWithWorkspace(faulty);
    const time = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
    const result = await run(["check", "prints-a-lot"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL prints-a-lot: 1 of 1 checks fail");
    expect(result.stdout.length).toBeLessThan(200_000);
    if (time) {
      const measured = spawnSync(time, ["-f", "%M", process.execPath, join(repoRoot, "bin", "roadmap.js"), "--roadmap", faulty, "--trust", "check", "prints-a-lot"], {
        cwd: join(tempDir(), ".."),
        env: { ...process.env, ROADMAP_PYTHON: python, ROADMAP_WORKSPACE: (await learnerWithWorkspace(faulty)).workspace },
        encoding: "utf8",
      });
      const peakKb = Number(measured.stderr.trim().split("\n").pop());
      expect(peakKb).toBeLessThan(200 * 1024);
    }
  });
});

describe("hint, solution, reset", () => {
  it("hint shows one more hint each time and saves how many were used", async () => {
    const { run, progress } = await learnerWithWorkspace(copyCourse());
    const first = await run(["hint"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("1/3  Look at the + operator.");
    expect(first.stdout).not.toContain("2/3");
    const second = await run(["hint", "add-numbers"]);
    expect(second.stdout).toContain("2/3  Return the sum");
    await run(["hint"]);
    const fourth = await run(["hint"]);
    expect(fourth.stdout).toContain("That was the last hint.");
    expect(progress().exercises["add-numbers"].hintsUsed).toBe(3);
  });

  it("a failing check points at the hint written for its first failing rule, and that command shows it", async () => {
    const course = copyCourse();
    const readme = join(course, "exercises/basics/add-numbers/README.md");
    writeFileSync(readme, readFileSync(readme, "utf8").replace('  - "return a + b"', '  - text: "return a + b"\n    rules: [returns-sum]'));
    const { run, progress } = await learnerWithWorkspace(course);
    await run(["hint"]);
    const failed = await run(["check", "add-numbers"]);
    const printed = /roadmap (hint add-numbers --rule \S+)/.exec(failed.stdout);
    expect(printed?.[1], failed.stdout).toBe("hint add-numbers --rule returns-sum");
    const aimed = await run(printed![1]!.split(" "));
    expect(aimed.code, aimed.stderr).toBe(0);
    expect(aimed.stdout).toMatch(/3\/3 {2}return a \+ b {2}\(for rule returns-sum\)/);
    expect(aimed.stdout).toContain("2/3  Return the sum");
    expect(progress().exercises["add-numbers"].hintsUsed).toBe(3);
    // Asked again once it was seen, the rule's hint is shown again; an unknown rule is a usage error naming the rules.
    expect((await run(["hint", "--rule", "returns-sum"])).stdout).toContain("(for rule returns-sum)");
    const unknown = await run(["hint", "add-numbers", "--rule", "returns-product"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('add-numbers has no rule "returns-product"; its rules: returns-sum.');
  });

  it("solution is withheld until the exercise passes, unless --yes (which is recorded)", async () => {
    const { run, progress } = await learnerWithWorkspace(copyCourse());
    const refused = await run(["solution", "add-numbers"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("roadmap solution add-numbers --yes");
    expect(refused.stdout).not.toContain("return a + b");
    const shown = await run(["solution", "add-numbers", "--yes"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("── adder.py ──");
    expect(shown.stdout).toContain("return a + b");
    expect(progress().exercises["add-numbers"].solutionViewedAt).toMatch(/^\d{4}-/);
  });

  it("reset restores the starter and keeps the learner's files in a backup", async () => {
    const { workspace, run } = await learnerWithWorkspace(copyCourse());
    const file = join(workspace, "basics/add-numbers/adder.py");
    writeFileSync(file, "# my attempt\n");
    const result = await run(["reset", "add-numbers"]);
    expect(result.code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("return 0");
    const backups = readdirSync(join(workspace, ".roadmap", "backups"));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(workspace, ".roadmap", "backups", backups[0]!, "adder.py"), "utf8")).toBe("# my attempt\n");
  });
});

describe("roadmap dev check", () => {
  it("passes the fixture course, and fails a verifier that does not catch a wrong solution", async () => {
    const person = learner();
    const course = copyCourse();
    const ok = await person.run(["--roadmap", course, "--trust", "dev", "check", "--python", python]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain("All 2 exercises verified.");

    // A verifier too weak to notice the off-by-one wrong solution.
    writeFileSync(join(course, "exercises/basics/add-numbers/tests/test_add_numbers.py"), "import adder\n\n\ndef test_returns_an_int():\n    assert isinstance(adder.add(1, 2), int)\n");
    const weak = await person.run(["--roadmap", course, "--trust", "dev", "check", "--python", python, "--json"]);
    expect(weak.code).toBe(1);
    const report = JSON.parse(weak.stdout);
    const summaries = report.exercises.find((e: { exercise: string }) => e.exercise === "add-numbers").results.map((r: { summary: string }) => r.summary);
    expect(summaries).toContain("starter must fail, but every check passes: the verifier does not catch it");
    expect(summaries).toContain("wrong/off-by-one must fail, but every check passes: the verifier does not catch it");
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
