import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { learnerWithWorkspace, readJson, repoRoot, tempDir } from "../helpers.js";

const ALL_RIGHT = "pick-one=four,pick-many=two+five,true-or-false=true";

/** A learner's workspace with the helpers these tests need: record a pass by hand, write a file, solve an exercise. */
async function workspaceFor() {
  const { person, course, workspace, progressFile, run } = await learnerWithWorkspace();
  /** Writes a pass into the progress file, as a learner's commit (or a hand edit) would. */
  const recordPass = (exercise: string) => {
    const progress = existsSync(progressFile) ? readJson(progressFile) : { schema: 1 };
    progress.exercises = { ...progress.exercises, [exercise]: { passedAt: "2026-01-02T03:04:05.000Z", hintsUsed: 0 } };
    writeFileSync(progressFile, JSON.stringify(progress, null, 2));
  };
  const write = (file: string, text: string) => writeFileSync(join(workspace, file), text);
  const solve = (stage: string, exercise: string, file: string) =>
    write(join(stage, exercise, file), readFileSync(join(course, "exercises", stage, exercise, "solution", file), "utf8"));
  const badgeDir = join(workspace, ".roadmap", "badge");
  return { person, workspace, run, recordPass, write, solve, badgeDir };
}

function svgTitle(svg: string): string {
  expect(XMLValidator.validate(svg)).toBe(true);
  return new XMLParser().parse(svg).svg.title;
}

describe("roadmap ci", () => {
  it("counts exercises that verify now: a pass without progress counts, a recorded pass that fails now exits 1", async () => {
    const { run, recordPass, write, solve, badgeDir } = await workspaceFor();
    expect((await run(["checklist", "basics", "--done", "read-docs,write-function"])).code).toBe(0);
    expect((await run(["quiz", "basics", "--answers", ALL_RIGHT])).code).toBe(0);
    expect((await run(["checklist", "advanced", "--done", "ship-it"])).code).toBe(0);
    solve("basics", "add-numbers", "adder.py");
    recordPass("add-numbers");
    solve("advanced", "greet", "greeter.py"); // passes, but progress does not record it
    const summary = join(tempDir(), "step-summary.md");
    writeFileSync(summary, "# an earlier step\n");

    const done = await run(["ci"], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain("Verifying 2 exercises in");
    expect(done.stderr).toMatch(/2 of 2 exercises verified/);
    expect(done.stdout.split("\n").slice(0, 3)).toEqual([
      "#  stage     checklist  quiz                exercises verified  state",
      "1  Basics    2/2        passed (best 100%)  1/1                 complete",
      "2  Advanced  1/1        -                   1/1                 complete",
    ]);
    expect(done.stdout).toContain("Verified but not recorded in progress (counted as verified): greet.");
    expect(done.stdout).not.toContain("REGRESSION");
    expect(readJson(join(badgeDir, "endpoint.json"))).toEqual({ schemaVersion: 1, label: "roadmap", message: "complete", color: "brightgreen" });
    expect(svgTitle(readFileSync(join(badgeDir, "roadmap.svg"), "utf8"))).toBe("roadmap: complete");
    expect(readFileSync(join(badgeDir, "summary.md"), "utf8")).toContain("| 2 | Advanced | 1/1 | - | 1/1 | complete |");

    write("basics/add-numbers/adder.py", "def add(a, b):\n    return a - b\n");
    const regressed = await run(["ci"], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(regressed.code).toBe(1);
    expect(regressed.stdout).toContain("1  Basics    2/2        passed (best 100%)  0/1                 in progress");
    expect(regressed.stdout).toContain("REGRESSION add-numbers: progress records it as passed, but its verifier does not pass now.");
    expect(regressed.stdout).toContain("add(2, 3) must return 5");
    expect(regressed.stdout).toContain("1 exercise(s) recorded as passed fail now: add-numbers");
    expect(readJson(join(badgeDir, "endpoint.json"))).toMatchObject({ message: "1/2 stages", color: "yellow" });
    expect(svgTitle(readFileSync(join(badgeDir, "roadmap.svg"), "utf8"))).toBe("roadmap: 1/2 stages");

    const appended = readFileSync(summary, "utf8");
    expect(appended.startsWith("# an earlier step\n")).toBe(true);
    expect(appended.indexOf("## Roadmap progress: complete")).toBeGreaterThan(0);
    expect(appended.indexOf("## Roadmap progress: 1/2 stages")).toBeGreaterThan(appended.indexOf("## Roadmap progress: complete"));
    expect(appended).toContain("**Recorded as passed, but failing now:** `add-numbers`");
  });

  it("splits the exercises across --jobs pytest processes, each exercise once, and writes to --out", async () => {
    const { run, solve, workspace } = await workspaceFor();
    solve("basics", "add-numbers", "adder.py");
    for (const jobs of ["1", "2", "5"]) {
      const out = join(workspace, `out-${jobs}`);
      const result = await run(["ci", "--jobs", jobs, "--out", out]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(jobs === "1" ? "in 1 pytest process " : "in 2 pytest processes");
      expect(result.stderr).toContain("; 2 of 2 exercises verified");
      if (jobs === "1") expect(result.stderr).toMatch(/^\[1\/1\] add-numbers \(1 of 2\)\n\[1\/1\] greet \(2 of 2\)$/m);
      expect(result.stderr).not.toMatch(/of [3-9] exercises verified/);
      expect(readFileSync(join(out, "summary.md"), "utf8")).toContain("| 1 | Basics | 0/2 | not yet | 1/1 | in progress |");
      expect(readJson(join(out, "endpoint.json")).message).toBe("0/2 stages");
    }
    expect((await run(["ci", "--jobs", "0"])).stderr).toContain("--jobs must be a whole number of at least 1");
  });

  it("re-runs a batch that times out one exercise at a time, so a hanging exercise takes no other with it", async () => {
    const { run, solve, write, recordPass } = await workspaceFor();
    solve("basics", "add-numbers", "adder.py");
    write("advanced/greet/greeter.py", "while True:\n    pass\n");
    recordPass("greet");
    const result = await run(["ci", "--jobs", "1", "--timeout", "5"]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("[1/1] done: 1 of 2 pass");
    expect(result.stdout).toContain("1  Basics    0/2        not yet  1/1                 in progress");
    expect(result.stdout).toContain("2  Advanced  0/1        -        0/1                 in progress");
    expect(result.stdout).toContain("REGRESSION greet");
    expect(result.stdout).toContain("did not finish within 5 s");
  });

  it("stops at a corrupt progress file with the clear message, exit 2, before running anything", async () => {
    const { run, write, badgeDir } = await workspaceFor();
    write(".roadmap/progress.json", "{ not json");
    const result = await run(["ci"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("progress.json is not valid JSON");
    expect(result.stderr).not.toContain("Verifying");
    expect(existsSync(badgeDir)).toBe(false);
  });
});

describe("roadmap badge", () => {
  it("draws the badge from recorded progress, or with --verify from the verifiers", async () => {
    const { run, recordPass, workspace } = await workspaceFor();
    expect((await run(["checklist", "basics", "--done", "read-docs,write-function"])).code).toBe(0);
    expect((await run(["quiz", "basics", "--answers", ALL_RIGHT])).code).toBe(0);
    recordPass("add-numbers"); // the starter is still there: the verifier fails it

    const svg = await run(["badge"]);
    expect(svg.code).toBe(0);
    expect(svgTitle(svg.stdout)).toBe("roadmap: 1/2 stages");
    const json = await run(["badge", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual({ schemaVersion: 1, label: "roadmap", message: "1/2 stages", color: "yellow" });

    const written = await run(["badge", "--format", "markdown", "--out", "public/"]);
    expect(written.code).toBe(0);
    expect(readFileSync(join(workspace, "public", "summary.md"), "utf8")).toContain("| 1 | Basics | 2/2 | passed (best 100%) | 1/1 | complete |");
    expect((await run(["badge", "--out", "public/my-badge.svg"])).code).toBe(0);
    expect(svgTitle(readFileSync(join(workspace, "public", "my-badge.svg"), "utf8"))).toBe("roadmap: 1/2 stages");

    const verified = await run(["badge", "--verify", "--format", "json"]);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout).message).toBe("0/2 stages");
    expect(verified.stderr).toContain("REGRESSION add-numbers");

    const bad = await run(["badge", "--format", "png"]);
    expect(bad.code).toBe(2);
  });

  it("loads badge-maker only when it draws a badge, never for status", async () => {
    const { run } = await workspaceFor();
    const hooks = tempDir("roadmap-hooks-");
    writeFileSync(join(hooks, "hooks.mjs"), 'export async function load(url, context, next) { process.stderr.write(`LOADED ${url}\\n`); return next(url, context); }\n');
    writeFileSync(join(hooks, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(hooks, "hooks.mjs")).href)});\n`);
    // What require() loaded (the ESM hooks do not see it): listed as the process exits.
    writeFileSync(join(hooks, "required.cjs"), 'process.on("exit", () => { for (const file of Object.keys(require.cache)) process.stderr.write(`LOADED ${require("node:url").pathToFileURL(file).href}\\n`); });\n');
    // badge-maker's font list, bundled into whichever chunk holds it.
    const signature = "Verdana,Geneva,DejaVu Sans";
    const loadsBadgeMaker = async (args: string[]) => {
      const result = await run(args, { env: { NODE_OPTIONS: `--import=${join(hooks, "register.mjs")} --require=${join(hooks, "required.cjs")}` } });
      expect(result.code, result.stderr).toBe(0);
      const files = [...result.stderr.matchAll(/^LOADED (file:\S+)$/gm)].map((m) => fileURLToPath(m[1]!));
      return files.some((file) => readFileSync(file, "utf8").includes(signature));
    };
    expect(await loadsBadgeMaker(["badge", "--format", "svg"])).toBe(true);
    expect(await loadsBadgeMaker(["badge", "--format", "json"])).toBe(false);
    expect(await loadsBadgeMaker(["status"])).toBe(false);
    // src/boot.ts runs the bundle itself from its code cache, outside require(): it must not hold badge-maker.
    expect(readFileSync(join(repoRoot, "dist", "main.cjs"), "utf8")).not.toContain(signature);
  });
});
