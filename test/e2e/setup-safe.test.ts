// roadmap setup never leaves a broken .venv: exercised with fake interpreters (shell scripts that act as python's
// `-c`, `-m venv` and `-m pip install`), so a failing or slow install costs nothing here.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CTRL_C, ENTER, learnerWithWorkspace, readJson, tempDir, underTerminal } from "../helpers.js";

const FAKE = `#!/bin/sh
# A fake python. Beside it, NAME.pipfails makes pip fail, NAME.novenv makes venv creation fail.
case "$1" in
  -c) echo "\${FAKE_PYTHON_VERSION:-3.11.2}"; exit 0 ;;
esac
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  if [ -e "$0.novenv" ]; then
    echo "Error: Command '[\\"$3/bin/python3\\", \\"-Im\\", \\"ensurepip\\", \\"--upgrade\\"]' returned non-zero exit status 1." >&2
    exit 1
  fi
  cp "$0" "$3/bin/python"
  [ -e "$0.pipfails" ] && touch "$3/bin/python.pipfails"
  [ -e "$0.pipslow" ] && touch "$3/bin/python.pipslow"
  echo "built by $0" > "$3/built-by"
  exit 0
fi
if [ "$1 $2 $3" = "-m pip install" ]; then
  if [ -e "$0.pipslow" ]; then
    echo "Collecting pytest"
    sleep 30
  fi
  if [ -e "$0.pipfails" ]; then
    echo "ERROR: No matching distribution found for pytest" >&2
    exit 1
  fi
  echo "Successfully installed pytest"
  touch "$(dirname "$0")/../installed"
  exit 0
fi
echo "fake python: unexpected $*" >&2
exit 9
`;

function fakePython(name: string, behaviour: "works" | "pipfails" | "pipslow" | "novenv" = "works"): string {
  const dir = tempDir("roadmap-fake-python-");
  const path = join(dir, name);
  writeFileSync(path, FAKE);
  chmodSync(path, 0o755);
  if (behaviour !== "works") writeFileSync(`${path}.${behaviour}`, "");
  return path;
}

const settingsFile = (home: string) => join(home, ".config", "python-backend-roadmap", "config.json");

async function workspaceWithVenv(python: string) {
  const learner = await learnerWithWorkspace();
  const first = await learner.run(["setup", "--python", python]);
  expect(first.code, first.stderr + first.stdout).toBe(0);
  expect(readFileSync(join(learner.workspace, ".venv", "built-by"), "utf8")).toBe(`built by ${python}\n`);
  return learner;
}

describe("roadmap setup", () => {
  it("creates the .venv, records the interpreter that built it, and names it", async () => {
    const good = fakePython("python3.11");
    const { workspace, run } = await learnerWithWorkspace();
    const result = await run(["setup", "--python", good]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Creating ${join(workspace, ".venv")} with ${good} (Python 3.11.2) ...`);
    expect(result.stdout).toContain(`Ready: verifiers will run with ${join(workspace, ".venv/bin/python")} (${good} (Python 3.11.2)).`);
    expect(readJson(join(workspace, ".venv/roadmap-setup.json"))).toMatchObject({ python: good, version: "3.11.2" });
    expect(existsSync(join(workspace, ".venv/installed"))).toBe(true);
  });

  it("a first setup whose pip install fails leaves no .venv behind, and the fix names the interpreter", async () => {
    const failing = fakePython("python3.12", "pipfails");
    const { workspace, run } = await learnerWithWorkspace();
    const result = await run(["setup", "--python", failing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("-m pip could not install the requirements: ERROR: No matching distribution found for pytest.");
    expect(result.stderr).toContain(`No ${join(workspace, ".venv")} was left behind.`);
    expect(result.stderr).toContain(`Fix the error above, then run: roadmap setup --python ${failing}`);
    expect(existsSync(join(workspace, ".venv"))).toBe(false);
    expect(existsSync(join(workspace, ".venv-before-setup"))).toBe(false);
  });

  it("a venv that cannot be made (no ensurepip) leaves nothing, and the fix names the package for that Python", async () => {
    const broken = fakePython("python3.11", "novenv");
    const { workspace, run } = await learnerWithWorkspace();
    const result = await run(["setup", "--python", broken]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${broken} (Python 3.11.2) could not create ${join(workspace, ".venv")}`);
    expect(result.stderr).toContain(`sudo apt-get install python3.11-venv, then run: roadmap setup --python ${broken}`);
    expect(existsSync(join(workspace, ".venv"))).toBe(false);
  });

  it("recreating with another --python that fails puts the old .venv back as it was", async () => {
    const good = fakePython("python3.11");
    const failing = fakePython("python3.12", "pipfails");
    const { workspace, run, person } = await workspaceWithVenv(good);
    const result = await run(["setup", "--python", failing, "--force"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`Creating ${join(workspace, ".venv")} with ${failing} (Python 3.11.2) ...`);
    expect(result.stderr).toContain(`${join(workspace, ".venv")} is as it was before.`);
    expect(readFileSync(join(workspace, ".venv/built-by"), "utf8")).toBe(`built by ${good}\n`);
    expect(readJson(join(workspace, ".venv/roadmap-setup.json")).python).toBe(good);
    expect(existsSync(join(workspace, ".venv/installed"))).toBe(true);
    expect(existsSync(join(workspace, ".venv-before-setup"))).toBe(false);
    // A failed setup changes nothing, the remembered Python included.
    expect(readJson(settingsFile(person.home)).python).toBe(good);
  });

  it("--python naming another interpreter, without a terminal and --force: exit 2, one line naming --force, nothing changed", async () => {
    const good = fakePython("python3.11");
    const other = fakePython("python3.12");
    const { workspace, run, person } = await workspaceWithVenv(good);
    const result = await run(["setup", "--python", other]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`uses ${good} (Python 3.11.2), not ${other} (Python 3.11.2); to recreate it with ${other} run: roadmap setup --python ${other} --force`);
    expect(readFileSync(join(workspace, ".venv/built-by"), "utf8")).toBe(`built by ${good}\n`);
    expect(readJson(settingsFile(person.home)).python).toBe(good);
  });

  it("--force recreates the .venv with the --python named, and remembers it", async () => {
    const good = fakePython("python3.11");
    const other = fakePython("python3.12");
    const { workspace, run, person } = await workspaceWithVenv(good);
    const result = await run(["setup", "--python", other, "--force"], { env: { FAKE_PYTHON_VERSION: "3.12.1" } });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(workspace, ".venv/built-by"), "utf8")).toBe(`built by ${other}\n`);
    expect(readJson(join(workspace, ".venv/roadmap-setup.json"))).toMatchObject({ python: other, version: "3.12.1" });
    expect(readJson(settingsFile(person.home)).python).toBe(other);
    expect(existsSync(join(workspace, ".venv-before-setup"))).toBe(false);
  });

  it("the same --python again only installs into the .venv it has", async () => {
    const good = fakePython("python3.11");
    const { workspace, run } = await workspaceWithVenv(good);
    const result = await run(["setup", "--python", good]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("Creating");
    expect(result.stdout).toContain(`Installing ${join(workspace, "requirements.txt")} into ${join(workspace, ".venv")}`);
  });

  it("on a terminal asks before recreating, and recreates on yes", { timeout: 30_000 }, async () => {
    const good = fakePython("python3.11");
    const other = fakePython("python3.12");
    const { workspace, person, course } = await workspaceWithVenv(good);
    const session = await underTerminal(
      [["Recreate it with", `y${ENTER}`], ["Ready:", ""]],
      ["--roadmap", course, "--workspace", workspace, "setup", "--python", other],
      { ...person.env, TERM: "xterm" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(0);
    // (the prompt wraps at the terminal's width)
    expect(session.output.replace(/\s+/g, " ")).toContain(`uses ${good} (Python 3.11.2). Recreate it with ${other} (Python 3.11.2)?`);
    expect(readFileSync(join(workspace, ".venv/built-by"), "utf8")).toBe(`built by ${other}\n`);
  });

  it("on a terminal, no keeps the .venv as it is and says how to recreate it", { timeout: 30_000 }, async () => {
    const good = fakePython("python3.11");
    const other = fakePython("python3.12");
    const { workspace, person, course } = await workspaceWithVenv(good);
    const session = await underTerminal(
      [["Recreate it with", `n${ENTER}`], ["--force", ""]],
      ["--roadmap", course, "--workspace", workspace, "setup", "--python", other],
      { ...person.env, TERM: "xterm" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(1);
    expect(session.output).toContain(`roadmap setup --python ${other} --force`);
    expect(readFileSync(join(workspace, ".venv/built-by"), "utf8")).toBe(`built by ${good}\n`);
  });

  it("Ctrl+C while pip installs into a new .venv puts the old one back", { timeout: 30_000 }, async () => {
    const good = fakePython("python3.11");
    const slow = fakePython("python3.12", "pipslow");
    const { workspace, person, course } = await workspaceWithVenv(good);
    const started = Date.now();
    const session = await underTerminal(
      [["Collecting pytest", CTRL_C]],
      ["--roadmap", course, "--workspace", workspace, "setup", "--python", slow, "--force"],
      { ...person.env, TERM: "xterm" },
    );
    expect(session.missing, session.output).toBeNull();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(session.exit, session.output).toBe(130);
    expect(readFileSync(join(workspace, ".venv/built-by"), "utf8")).toBe(`built by ${good}\n`);
    expect(existsSync(join(workspace, ".venv-before-setup"))).toBe(false);
  });

  it("a setup killed mid-way (the old .venv still aside) is undone by the next one", async () => {
    const good = fakePython("python3.11");
    const { workspace, run } = await workspaceWithVenv(good);
    const venv = join(workspace, ".venv");
    // As a killed setup leaves it: the old venv aside, a half-made one in place.
    const { renameSync } = await import("node:fs");
    renameSync(venv, join(workspace, ".venv-before-setup"));
    mkdirSync(join(venv, "bin"), { recursive: true });
    const result = await run(["setup", "--python", good]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`An earlier setup did not finish: put the previous ${venv} back.`);
    expect(readFileSync(join(venv, "built-by"), "utf8")).toBe(`built by ${good}\n`);
    expect(existsSync(join(workspace, ".venv-before-setup"))).toBe(false);
  });

  it("refuses a Python older than 3.10, naming it", async () => {
    const old = fakePython("python3.8");
    const { workspace, run } = await learnerWithWorkspace();
    const result = await run(["setup", "--python", old], { env: { FAKE_PYTHON_VERSION: "3.8.10" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${old} (Python 3.8.10) is too old: the exercises need Python 3.10 or newer.`);
    expect(existsSync(join(workspace, ".venv"))).toBe(false);
  });
});
