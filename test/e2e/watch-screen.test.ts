import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, copyCourse, learnerWithWorkspace, processesMarked, python, readJson, repoRoot, underTerminal, type TerminalStep } from "../helpers.js";

const CLEAR = "\x1b[2J";
const FIX = "def add(a, b):\n    return a + b\n";

describe("roadmap watch's screen", () => {
  it("redraws: clears, then the exercise, progress bars, the verdict, the hint pointer and the keys", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const session = await underTerminal(
      [
        ["roadmap hint add-numbers", { write: [join(workspace, "basics/add-numbers/adder.py"), FIX] }],
        ["Watching greet", { sleep: 0.3 }],
        ["Check 3 at", "q"],
      ],
      ["--roadmap", course, "--trust", "--workspace", workspace, "watch"],
      { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm", COLUMNS: "100", LINES: "40" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(0);
    const screens = session.output.split(CLEAR).slice(1);
    expect(screens.length, session.output).toBeGreaterThanOrEqual(4); // checking, failed, checking greet, greet's verdict
    const failed = screens.find((screen) => screen.includes("FAIL add-numbers"))!;
    expect(failed).toContain("Watching add-numbers: Add two numbers");
    expect(failed).toMatch(/Stage +\.{20} 0\/1 exercises of Basics/);
    expect(failed).toMatch(/Overall +[#.]{20} \d+% of the roadmap/);
    expect(failed).toContain("Check 1 at");
    expect(failed).toContain("Stuck? The next hint: roadmap hint add-numbers   (or press h)");
    expect(failed).toContain("Keys: h hint · r re-check · n next exercise · q quit");
    // Only the latest verdict is on the screen: the failure is gone once greet is watched.
    const greet = screens.find((screen) => screen.includes("Watching greet"))!;
    expect(greet).toContain("Recorded: add-numbers passes. PASS add-numbers: all 2 checks pass");
    expect(greet).not.toContain("FAIL add-numbers");
    expect(greet).toMatch(/Overall +#+\.* \d+% of the roadmap/);
    expect(readJson(join(workspace, ".roadmap/progress.json")).exercises["add-numbers"].passedAt).toMatch(/^\d{4}-/);
  });

  it("ignores editor temp files: vim swap files and 4913, ~ backups, emacs locks and auto-saves", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const dir = join(workspace, "basics/add-numbers");
    const temp = [".adder.py.swp", ".adder.py.swx", ".adder.py.swo", "adder.py~", "4913", ".#adder.py", "#adder.py#"];
    const steps: TerminalStep[] = [
      ...temp.map((name): TerminalStep => ["Check 1 at", { write: [join(dir, name), "def add(a, b):\n    return a - b\n"] }]),
      ["Check 1 at", { sleep: 0.5 }],
      ["Check 1 at", { write: [join(dir, "adder.py"), FIX] }],
      ["Watching greet", "q"],
    ];
    const session = await underTerminal(steps, ["--roadmap", course, "--trust", "--workspace", workspace, "watch"], {
      ...person.env,
      ROADMAP_PYTHON: python,
      TERM: "xterm",
    });
    expect(session.missing, session.output).toBeNull();
    // The only check after the first is the one the real save started, and it passes.
    const beforePass = session.output.slice(0, session.output.indexOf("Recorded: add-numbers passes."));
    expect(beforePass.match(/running the verifier/g), session.output).toHaveLength(2);
    expect(beforePass).not.toContain("Check 3");
  });

  it("offers the hint aimed at the first failing rule where the content maps one; h shows it and records it", { timeout: 30_000 }, async () => {
    const course = copyCourse();
    const readme = join(course, "exercises/basics/add-numbers/README.md");
    writeFileSync(
      readme,
      readFileSync(readme, "utf8").replace('  - "return a + b"', '  - text: "return a + b"\n    rules: [returns-sum]'),
    );
    const { person, workspace } = await learnerWithWorkspace(course);
    const session = await underTerminal(
      [
        ["A hint aimed at rule returns-sum (hint 3/3): press h", "h"],
        ["Hint 3/3 (for rule returns-sum):", "q"],
      ],
      ["--roadmap", course, "--trust", "--workspace", workspace, "watch"],
      { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm" },
    );
    expect(session.missing, session.output).toBeNull();
    const last = session.output.replaceAll("\r\n", "\n").split(CLEAR).pop()!;
    expect(last).toContain("Hint 3/3 (for rule returns-sum):\nreturn a + b");
    // Every hint is now seen: the pointer says how to read them again.
    expect(last).toContain("All 3 hints seen; read them again: roadmap hint add-numbers");
    expect(readJson(join(workspace, ".roadmap/progress.json")).exercises["add-numbers"].hintsUsed).toBe(3);
  });

  it("q while a verifier runs leaves at once, stops the verifier and draws nothing after", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    writeFileSync(join(workspace, "basics/add-numbers/adder.py"), "import time\ntime.sleep(60)\n");
    const mark = `watch-quit-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const session = await underTerminal(
      [["Check 1: running the verifier", { sleep: 0.5 }], ["Check 1: running the verifier", "q"]],
      ["--roadmap", course, "--trust", "--workspace", workspace, "watch"],
      { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm", ROADMAP_TEST_MARK: mark },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(processesMarked(mark)).toEqual([]);
    expect(session.output.split(CLEAR).pop()).toContain("Check 1: running the verifier");
  });

  it("on a real exercise: portfolio-oop with cash as a float is offered the hint written for exact-decimal-cash", { timeout: 60_000 }, async () => {
    const { person, workspace } = await learnerWithWorkspace(repoRoot);
    const exercise = join(repoRoot, "exercises/core-python/portfolio-oop");
    const file = join(workspace, "core-python/portfolio-oop/portfolio.py");
    copyFileSync(join(exercise, "solution/portfolio.py"), file);
    expect(spawnSync("patch", ["-s", file, join(exercise, "wrong/float-cash.diff")]).status).toBe(0);
    const session = await underTerminal(
      [
        ["A hint aimed at rule exact-decimal-cash (hint 4/4): press h", "h"],
        ["Hint 4/4 (for rule exact-decimal-cash):", "q"],
      ],
      ["--roadmap", repoRoot, "--workspace", workspace, "watch", "portfolio-oop"],
      { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.output.replaceAll("\r\n", "\n").split(CLEAR).pop()).toContain("Money stays Decimal end to end");
  });

  it("with its output in a pipe appends plain screens and never clears the screen", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const command = [process.execPath, cli, "--roadmap", course, "--trust", "--workspace", workspace, "watch"].map((w) => `'${w}'`).join(" ");
    const driver = join(repoRoot, "test", "e2e", "pty_session.py");
    const steps: TerminalStep[] = [["roadmap hint add-numbers", "q"]];
    const result = await new Promise<{ exit: number; output: string; missing: string | null }>((resolve, reject) => {
      // stdin stays the terminal (keys work); stdout goes through a pipe, as in `roadmap watch | tee log`.
      const child = spawn("python3", [driver, JSON.stringify(steps), "sh", "-c", `${command} | cat`], {
        cwd: person.home,
        env: { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      child.on("error", reject);
      child.on("close", () => resolve(JSON.parse(out)));
    });
    expect(result.missing, result.output).toBeNull();
    expect(result.exit, result.output).toBe(0);
    expect(result.output).toContain("FAIL add-numbers");
    expect(result.output).toContain("Watching add-numbers");
    expect(result.output).not.toContain("\x1b"); // no clear-screen, no cursor movement, no colour
  });

  it("without a terminal refuses at once and writes no control sequence", async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const result = await person.run(["--roadmap", course, "--workspace", workspace, "watch"]);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).not.toContain("\x1b");
  });
});
