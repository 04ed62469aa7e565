import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { learnerWithWorkspace, python, readJson, underTerminal } from "../helpers.js";


describe("roadmap watch", () => {
  it("re-checks on save, records the pass and moves to the next exercise", { timeout: 30_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const session = await underTerminal(
      [
        ["FAIL add-numbers", { write: [join(workspace, "basics/add-numbers/adder.py"), "def add(a, b):\n    return a + b\n"] }],
        ["Recorded: add-numbers passes.", ""],
        ["Watching greet", "q"],
      ],
      ["--roadmap", course, "--trust", "--workspace", workspace, "watch"],
      { ...person.env, ROADMAP_PYTHON: python, TERM: "xterm", COLUMNS: "100", LINES: "30" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(0);
    expect(session.output).toContain("Watching add-numbers");
    expect(session.output).toContain("PASS add-numbers: all 2 checks pass");
    expect(readJson(join(workspace, ".roadmap/progress.json")).exercises["add-numbers"].passedAt).toMatch(/^\d{4}-/);
  });

  it("without a terminal fails at once and names roadmap check", async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const started = Date.now();
    const result = await person.run(["--roadmap", course, "--workspace", workspace, "watch"]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Watch mode needs an interactive terminal");
    expect(result.stderr).toContain("roadmap check");
  });
});

describe("roadmap doctor", () => {
  it("says all is well when Python, pytest and the workspace are there", async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const result = await person.run(["--roadmap", course, "--workspace", workspace, "doctor", "--python", python]);
    expect(result.stdout).toMatch(/^ok +Node\.js/m);
    expect(result.stdout).toMatch(/^ok +Python +3\.\d+/m);
    expect(result.stdout).toMatch(/^ok +pytest/m);
    expect(result.stdout).toContain("All is well.");
    expect(result.code).toBe(0);
  });

  it("names each missing package with its fix, exit 1", async () => {
    const { person, workspace } = await learnerWithWorkspace();
    const faulty = join(import.meta.dirname, "..", "fixtures", "faulty");
    const result = await person.run(["--roadmap", faulty, "--workspace", workspace, "doctor", "--python", python]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +definitely-not-installed-package +missing \(for needs-package\)/m);
    expect(result.stdout).toContain("fix: roadmap setup (or: pip install 'definitely-not-installed-package')");
  });
});

// pip's own configuration (which index to use) lives in the real HOME; the learner here has a temporary one.
const pipConfig = join(homedir(), ".config", "pip", "pip.conf");
const canInstall = spawnSync(python, ["-m", "pip", "download", "--no-deps", "-q", "-d", join(homedir(), ".cache", "roadmap-pip-probe"), "iniconfig"], {
  env: { ...process.env },
}).status === 0;

describe.skipIf(!canInstall)("roadmap setup", () => {
  it("creates the workspace .venv, installs requirements.txt, and checks then use it", { timeout: 180_000 }, async () => {
    const { person, course, workspace } = await learnerWithWorkspace();
    const env = {
      ROADMAP_PYTHON: "",
      PIP_INDEX_URL: process.env.PIP_INDEX_URL,
      PIP_CONFIG_FILE: existsSync(pipConfig) ? pipConfig : undefined,
      PIP_DISABLE_PIP_VERSION_CHECK: "1",
    };
    const result = await person.run(["--roadmap", course, "--workspace", workspace, "setup", "--python", python], { env });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain("Ready: verifiers will run with");
    const venvPython = join(workspace, ".venv", "bin", "python");
    expect(spawnSync(venvPython, ["-c", "import pytest"]).status).toBe(0);
    expect(readFileSync(join(workspace, "requirements.txt"), "utf8")).toBe("pytest\n");

    const doctor = await person.run(["--roadmap", course, "--workspace", workspace, "doctor"], { env });
    expect(doctor.stdout).toMatch(/^ok +Python .* \(from workspace \.venv\)/m);
    expect(doctor.stdout).toMatch(/^ok +Virtual env +yes/m);
  });
});
