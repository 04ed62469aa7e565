import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learner, repoRoot, tempDir, underTerminal } from "../helpers.js";

const python = process.env.ROADMAP_PYTHON ?? "python3";

/** A course whose verifier leaves a file behind when it runs, and a learner with a workspace of it. */
async function untrustedCourse() {
  const person = learner();
  const course = copyCourse();
  const tests = join(course, "exercises/basics/add-numbers/tests/test_add_numbers.py");
  writeFileSync(tests, `import os, pathlib\npathlib.Path(os.environ["ROADMAP_TEST_RAN"]).touch()\n${readFileSync(tests, "utf8")}`);
  const workspace = join(person.home, "ws");
  expect((await person.run(["--roadmap", course, "init", workspace, "--no-install"])).code).toBe(0);
  const ran = join(tempDir(), "verifier-ran");
  const env = { ...person.env, ROADMAP_PYTHON: python, ROADMAP_TEST_RAN: ran };
  const run = (args: string[]) => person.run(["--roadmap", course, "--workspace", workspace, ...args], { env });
  return { person, course, workspace, ran, env, run };
}

describe("running the verifiers of a roadmap from another folder", () => {
  it.each([[["check", "add-numbers"]], [["dev", "check", "--python", python]]])("%j without a terminal needs --trust, and runs nothing without it", async (args) => {
    const { ran, run } = await untrustedCourse();
    const refused = await run(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("This roadmap's verifiers run code from");
    expect(refused.stderr).toContain("--trust");
    expect(existsSync(ran)).toBe(false);

    const trusted = await run(["--trust", ...args]);
    expect(trusted.code, trusted.stderr).not.toBe(2);
    expect(existsSync(ran)).toBe(true);
  });

  it("on a terminal asks once per folder; no runs nothing, yes is remembered by its realpath", { timeout: 30_000 }, async () => {
    const { person, course, workspace, ran, env, run } = await untrustedCourse();
    const viaLink = join(tempDir(), "link-to-course");
    symlinkSync(course, viaLink);
    const args = (roadmap: string) => ["--roadmap", roadmap, "--workspace", workspace, "check", "add-numbers"];

    const declined = await underTerminal([["Trust it?", "n\r"]], args(viaLink), { ...env, TERM: "xterm" });
    expect(declined.missing, declined.output).toBeNull();
    expect(declined.exit).toBe(2);
    expect(existsSync(ran)).toBe(false);

    const accepted = await underTerminal([["Trust it?", "y\r"], ["FAIL add-numbers", ""]], args(viaLink), { ...env, TERM: "xterm" });
    expect(accepted.missing, accepted.output).toBeNull();
    expect(accepted.output).toContain(`This roadmap's verifiers run code from ${course}.`);
    expect(existsSync(ran)).toBe(true);
    const settings = JSON.parse(readFileSync(join(person.home, ".config", "python-backend-roadmap", "config.json"), "utf8"));
    expect(settings.trustedRoadmaps).toEqual([course]);

    // Remembered: no question on a terminal, and no --trust needed without one.
    const again = await underTerminal([["FAIL add-numbers", ""]], args(course), { ...env, TERM: "xterm" });
    expect(again.output).not.toContain("Trust it?");
    expect((await run(["check", "add-numbers"])).code).toBe(1);
  });

  it("the bundled roadmap is trusted without asking, also when named with --roadmap", async () => {
    const person = learner();
    const workspace = join(person.home, "ws");
    expect((await person.run(["init", workspace, "--no-install"])).code).toBe(0);
    for (const args of [["check", "portfolio-oop"], ["--roadmap", repoRoot, "check", "portfolio-oop"]]) {
      const result = await person.run(["--workspace", workspace, ...args], { env: { ROADMAP_PYTHON: python } });
      expect(result.stderr).not.toContain("--trust");
      expect(result.stdout).toContain("FAIL portfolio-oop");
    }
  });
});
