import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENTER, copyCourse, learner, learnerWithWorkspace, readJson, repoRoot, tempDir, underTerminal } from "../helpers.js";

const version = readJson(join(repoRoot, "package.json")).version as string;

describe("a new learner: init, next, learn, checklist, status", () => {
  it("creates a workspace with every starter, a README, .gitignore, requirements and the marker", async () => {
    const { workspace, run } = await learnerWithWorkspace();
    for (const file of ["basics/add-numbers/adder.py", "basics/add-numbers/README.md", "advanced/greet/greeter.py", "README.md", ".gitignore", "requirements.txt"]) {
      expect(existsSync(join(workspace, file)), file).toBe(true);
    }
    expect(readFileSync(join(workspace, "basics/add-numbers/adder.py"), "utf8")).toContain("return 0");
    expect(readFileSync(join(workspace, ".gitignore"), "utf8")).toContain(".venv/");
    expect(readFileSync(join(workspace, "requirements.txt"), "utf8")).toContain("pytest");
    expect(readJson(join(workspace, ".roadmap", "workspace.json"))).toMatchObject({ roadmap: "python-backend-roadmap", version });

    const again = await run(["init", workspace]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already a roadmap workspace");
  });

  it("refuses to overwrite a learner's files and writes nothing", async () => {
    const person = learner();
    const course = copyCourse();
    const target = join(person.home, "busy");
    mkdirSync(join(target, "basics", "add-numbers"), { recursive: true });
    writeFileSync(join(target, "basics", "add-numbers", "adder.py"), "# mine\n");
    const result = await person.run(["--roadmap", course, "init", target, "--no-install"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("refusing to overwrite 1 existing file(s)");
    expect(result.stderr).toContain(join("basics", "add-numbers", "adder.py"));
    expect(readFileSync(join(target, "basics", "add-numbers", "adder.py"), "utf8")).toBe("# mine\n");
    expect(existsSync(join(target, "README.md"))).toBe(false);
  });

  it("walks the learner through the steps and saves each one", async () => {
    const { run, progress } = await learnerWithWorkspace();

    const first = await run(["next"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Next: Read the lesson of stage 1, Basics");
    expect(first.stdout).toContain("roadmap learn basics");
    expect(JSON.parse((await run(["next", "--json"])).stdout)).toMatchObject({ kind: "learn", command: "roadmap learn basics", stage: { id: "basics" } });

    const lesson = await run(["learn"]);
    expect(lesson.code).toBe(0);
    expect(lesson.stdout).toContain("Stage 1: Basics");
    expect(lesson.stdout).toContain('print("hello")');
    expect(lesson.stdout).not.toContain("```");
    expect(progress().lessons.basics).toMatch(/^\d{4}-\d\d-\d\dT/);

    expect(JSON.parse((await run(["next", "--json"])).stdout)).toMatchObject({
      kind: "exercise",
      command: "roadmap check add-numbers",
      exercise: { id: "add-numbers", files: ["adder.py"] },
    });

    const ticked = await run(["checklist", "basics", "--done", "read-docs,write-function"]);
    expect(ticked.code).toBe(0);
    expect(ticked.stdout).toContain("Basics: 2/2 ticked");
    const unticked = await run(["checklist", "1", "--undo", "write-function"]);
    expect(unticked.stdout).toContain("Basics: 1/2 ticked");
    expect(Object.keys(progress().checklist.basics)).toEqual(["read-docs"]);

    const status = await run(["status"]);
    expect(status.code).toBe(0);
    const lines = status.stdout.trim().split("\n");
    expect(lines[1]).toMatch(/^ 1 {2}Basics {4}#{3}\.{7} {2}checklist {3}1\/2 {2}quiz {4}- {2}exercises {3}0\/1$/);
    expect(lines[2]).toMatch(/^ 2 {2}Advanced {2}\.{10} {2}checklist {3}0\/1 {2}quiz {4}- {2}exercises {3}0\/1$/);
    expect(lines[3]).toBe("Overall ###................. 17%  (0/2 stages complete)");
    expect(status.stdout).not.toMatch(/\x1b\[/);

    const json = JSON.parse((await run(["status", "--json"])).stdout);
    expect(json.stages[0]).toMatchObject({ id: "basics", lessonRead: true, checklist: { done: 1, total: 2 }, complete: false });
    expect(json.overall).toBeCloseTo(1 / 6);
  });

  it("finds the last workspace from anywhere, and says how to start without one", async () => {
    const { person, course } = await learnerWithWorkspace();
    const elsewhere = tempDir();
    const found = await person.run(["--roadmap", course, "next", "--json"], { cwd: elsewhere });
    expect(JSON.parse(found.stdout).kind).toBe("learn");

    const stranger = learner();
    const none = await stranger.run(["--roadmap", course, "next"]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("roadmap init");
    const checklist = await stranger.run(["--roadmap", course, "checklist", "basics", "--done", "read-docs"]);
    expect(checklist.code).toBe(2);
    expect(checklist.stderr).toContain("No roadmap workspace found here.");
    expect(checklist.stderr).toContain("roadmap init");
  });
});

describe("errors a learner can cause", () => {
  it.each([
    [["checklist", "basics"], "roadmap checklist basics --done <item-id>"],
    [["checklist"], "--done <item-id>"],
  ])("an interactive %j without a terminal stops at once and names the alternative", async (args, alternative) => {
    const { run } = await learnerWithWorkspace();
    const started = Date.now();
    const result = await run(args);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("needs an interactive terminal");
    expect(result.stderr).toContain(alternative);
  });

  it.each([
    [["learn", "no-such-stage"], 'unknown stage "no-such-stage"'],
    [["learn", "../../etc"], 'unknown stage "../../etc"'],
    [["checklist", "basics", "--done", "nope"], 'stage basics has no checklist item "nope"'],
    [["frobnicate"], "unknown command"],
    [["status", "--bogus"], "unknown option"],
  ])("%j exits 2 with one clear line", async (args, message) => {
    const { run } = await learnerWithWorkspace();
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  const corruptions: [string, string, string][] = [
    ["truncated JSON", '{"schema": 1, "lessons": {', "is not valid JSON"],
    ["garbage", "\u0000\u0001garbage", "is not valid JSON"],
    ["a newer schema", '{"schema": 99}', "was written by a newer python-backend-roadmap"],
    ["a wrong shape", '{"schema": 1, "lessons": []}', "is not a progress file this tool understands (lessons:"],
  ];
  it.each(corruptions)("a progress file with %s stops every command, exit 2, and is kept byte for byte", async (_name, content, message) => {
    const { workspace, run } = await learnerWithWorkspace();
    const file = join(workspace, ".roadmap", "progress.json");
    writeFileSync(file, content);
    for (const args of [["status"], ["next"], ["checklist", "basics", "--done", "read-docs"], ["learn", "basics"]]) {
      const result = await run(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain(join(".roadmap", "progress.json"));
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(file, "utf8")).toBe(content);
    }
  });

  it("reports every problem of malformed content, one line each, exit 2", async () => {
    const person = learner();
    const course = copyCourse();
    const stage = join(course, "roadmap", "01-basics.md");
    writeFileSync(stage, readFileSync(stage, "utf8").replace("title: Basics", "title: [1, 2]").replace("answer: four", "answer: seven").replace("order: 1", "order: one"));
    const result = await person.run(["--roadmap", course, "status"]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^error roadmap\/01-basics\.md:\d+: /);
    expect(result.stderr).toContain("title:");
    expect(result.stderr).toContain("order:");
    expect(result.stderr).toContain('"seven" is not one of the option ids');
  });
});

describe("the command line itself", () => {
  it("gives every command's --help an example", async () => {
    const person = learner();
    const help = (await person.run(["--help"])).stdout;
    // Every command `roadmap --help` lists (and the subcommands of `dev`), so a new command cannot slip through.
    const commands = [...help.split("Commands:")[1]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands).toEqual(expect.arrayContaining(["next", "status", "init", "learn", "checklist", "quiz", "check", "watch", "ci", "dev"]));
    for (const command of commands.flatMap((c) => (c === "dev" ? [["dev", "check"]] : [[c]]))) {
      const result = await person.run([...command, "--help"]);
      expect(result.code, command.join(" ")).toBe(0);
      expect(result.stdout, command.join(" ")).toMatch(/Examples?:\n\s+\$ roadmap /);
    }
  });

  it("prints its version and documents exit codes", async () => {
    const person = learner();
    // This repository is a git clone: the version names its commit.
    expect((await person.run(["--version"])).stdout.trim()).toMatch(new RegExp(`^${version.replaceAll(".", "\\.")} \\(commit [0-9a-f]{40}(, with uncommitted changes)?\\)$`));
    expect((await person.run(["--help"])).stdout).toContain("Exit codes: 0 ok, 1 a check or quiz did not pass");
  });
});

describe("progress under concurrency", () => {
  it("keeps all 40 items when 40 processes each tick one at the same moment", async () => {
    const person = learner();
    const course = copyCourse();
    const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
    const stage = join(course, "roadmap", "02-advanced.md");
    writeFileSync(stage, readFileSync(stage, "utf8").replace("  - id: ship-it\n    text: \"Ship it\"\n", items.map((id) => `  - id: ${id}\n    text: "Item ${id}"\n`).join("")));
    const workspace = join(person.home, "ws");
    expect((await person.run(["--roadmap", course, "init", workspace, "--no-install"])).code).toBe(0);
    const results = await Promise.all(items.map((id) => person.run(["--roadmap", course, "--workspace", workspace, "checklist", "advanced", "--done", id])));
    expect(results.map((r) => r.code)).toEqual(items.map(() => 0));
    const saved = readJson(join(workspace, ".roadmap", "progress.json"));
    expect(Object.keys(saved.checklist.advanced).sort()).toEqual([...items].sort());
  });
});

describe("next on a terminal", () => {
  it("offers to create the workspace, asks where, and creates it", { timeout: 20_000 }, async () => {
    const person = learner();
    const course = copyCourse();
    // npm is a stand-in that records its arguments: installing the tool for real (a git dependency, built by its
    // prepare script) takes minutes and is rehearsed in front-door.test.ts; here it is the prompts that matter.
    const fakeBin = join(person.home, "fake-bin");
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, "npm"), `#!/bin/sh\necho "$(pwd) $*" >> ${join(person.home, "npm-calls")}\n`, { mode: 0o755 });
    const session = await underTerminal(
      [
        ["Create it now?", ENTER],
        ["Where should your workspace go?", ENTER],
      ],
      ["--roadmap", course, "next"],
      { ...person.env, PATH: `${fakeBin}:${person.env.PATH}`, TERM: "xterm", COLUMNS: "100", LINES: "30" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(0);
    const workspace = join(person.home, "my-backend-roadmap");
    expect(session.output.replace(/\s+/g, " ")).toContain(`Created your workspace in ${workspace}`);
    expect(existsSync(join(workspace, "basics", "add-numbers", "adder.py"))).toBe(true);
    expect(readFileSync(join(person.home, "npm-calls"), "utf8")).toMatch(new RegExp(`^${workspace} install\\b`));
  });

  it("starts an exercise: shows its task, then watches it", { timeout: 20_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    writeFileSync(join(workspace, ".roadmap", "progress.json"), JSON.stringify({ schema: 1, lessons: { basics: "2026-01-01T00:00:00.000Z" } }));
    const session = await underTerminal(
      [
        ["Start now?", ENTER],
        ["Watching add-numbers", "q"],
      ],
      ["--roadmap", course, "--trust", "--workspace", workspace, "next"],
      { ...person.env, ROADMAP_PYTHON: process.env.ROADMAP_PYTHON ?? "python3", TERM: "xterm", COLUMNS: "100", LINES: "30" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.output).toContain("Next: Solve the exercise add-numbers");
    expect(session.output).toContain("Write add(a, b) in adder.py");
    expect(session.exit, session.output).toBe(0);
  });
});
