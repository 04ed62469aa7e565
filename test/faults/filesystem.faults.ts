// File system faults a user can cause: a full disk, a read-only workspace, an unwritable HOME or TMPDIR, and
// symbolic links. Each is one line naming the path and the fix, exit 2, with the progress file intact.
//
// CI and these machines run as root, where chmod alone makes nothing unwritable: a full or read-only disk is a
// small tmpfs mounted here, and "unwritable" means running roadmap as the user nobody (setpriv).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, learnerWithWorkspace, tempDir } from "../helpers.js";

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const mounted: string[] = [];

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounted.push(dir);
}

afterEach(() => {
  while (mounted.length) spawnSync("umount", ["-l", mounted.pop()!]);
});

/** A temporary folder that the user nobody can enter (tempDir() makes them private to root). */
function openDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  return dir;
}

/** Runs the built CLI as the user nobody, with the environment given. */
function asNobody(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const result = spawnSync(
    "setpriv",
    ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups", "env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, cli, ...args],
    { cwd, encoding: "utf8" },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A one-line error: the first line says what and where, at most a hint follows; never a stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect(lines.length, stderr).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe.runIf(isRoot)("file system faults", () => {
  it("a full disk: exit 2 naming the progress file, which keeps its last good content", async () => {
    const base = tempDir();
    const disk = join(base, "disk");
    mountTmpfs(disk, "4m");
    const { run, progressFile } = await learnerWithWorkspace();
    // The workspace lives on the small disk: its progress file is written there.
    const workspace = join(disk, "ws");
    mkdirSync(join(workspace, ".roadmap"), { recursive: true });
    writeFileSync(join(workspace, ".roadmap", "workspace.json"), readFileSync(join(progressFile, "..", "workspace.json")));
    const tick = (item: string) => run(["--workspace", workspace, "checklist", "basics", "--done", item]);
    expect((await tick("read-docs")).code).toBe(0);
    const before = readFileSync(join(workspace, ".roadmap", "progress.json"), "utf8");
    spawnSync("sh", ["-c", `dd if=/dev/zero of=${join(disk, "fill")} bs=64k 2>/dev/null`]);
    const result = await tick("write-function");
    expect(result.code, result.stderr).toBe(2);
    expectOneLine(result.stderr, /cannot use .*progress\.json: the disk is full \(ENOSPC\)/);
    expect(readFileSync(join(workspace, ".roadmap", "progress.json"), "utf8")).toBe(before);
  });

  it("a read-only workspace: exit 2 naming the path, progress intact", async () => {
    const disk = join(tempDir(), "disk");
    mountTmpfs(disk, "4m");
    const { run, progressFile } = await learnerWithWorkspace();
    const workspace = join(disk, "ws");
    mkdirSync(join(workspace, ".roadmap"), { recursive: true });
    writeFileSync(join(workspace, ".roadmap", "workspace.json"), readFileSync(join(progressFile, "..", "workspace.json")));
    expect((await run(["--workspace", workspace, "checklist", "basics", "--done", "read-docs"])).code).toBe(0);
    const before = readFileSync(join(workspace, ".roadmap", "progress.json"), "utf8");
    execFileSync("mount", ["-o", "remount,ro", disk]);
    const result = await run(["--workspace", workspace, "checklist", "basics", "--done", "write-function"]);
    expect(result.code, result.stderr).toBe(2);
    expectOneLine(result.stderr, /cannot use .*: the file system is read-only \(EROFS\)/);
    expect(readFileSync(join(workspace, ".roadmap", "progress.json"), "utf8")).toBe(before);
  });

  it("an unwritable HOME: exit 2 naming the config folder and the fix", () => {
    const base = openDir();
    const home = join(base, "home");
    const out = join(base, "out");
    mkdirSync(home); // owned by root: nobody cannot write it
    mkdirSync(out);
    chownSync(out, NOBODY, NOBODY);
    const result = asNobody(["init", join(out, "ws")], { HOME: home, PATH: process.env.PATH!, NO_COLOR: "1", TMPDIR: out }, out);
    expect(result.code, result.stderr).toBe(2);
    expectOneLine(result.stderr, new RegExp(`cannot use ${home}/\\.(config|cache)/python-backend-roadmap.*permission denied \\(EACCES\\)`));
    expect(result.stderr).toContain("XDG_CONFIG_HOME");
  });

  it("an unwritable TMPDIR: check stops in one line naming TMPDIR", () => {
    const base = openDir();
    const home = join(base, "home");
    const tmp = join(base, "tmp");
    mkdirSync(home);
    mkdirSync(tmp); // owned by root
    chownSync(home, NOBODY, NOBODY);
    const env = { HOME: home, PATH: process.env.PATH!, NO_COLOR: "1", ROADMAP_PYTHON: process.env.ROADMAP_PYTHON ?? "python3" };
    const course = join(cli, "..", "..", "test", "fixtures", "course");
    const init = asNobody(["--roadmap", course, "init", join(home, "ws"), "--no-install"], env, home);
    expect(init.code, init.stderr).toBe(0);
    const result = asNobody(["--roadmap", course, "--trust", "check", "add-numbers"], { ...env, TMPDIR: tmp }, join(home, "ws"));
    expect(result.code, result.stderr).toBe(2);
    expectOneLine(result.stderr, new RegExp(`cannot use ${tmp}/roadmap-verify-.*permission denied \\(EACCES\\)`));
    expect(result.stderr).toContain("TMPDIR");
  });
});

describe("symbolic links", () => {
  it("check copies a link that stays inside the workspace, and refuses one that leads out", async () => {
    const { run, workspace } = await learnerWithWorkspace();
    const exercise = join(workspace, "basics", "add-numbers");
    // A sub-folder linked from elsewhere in the workspace (this crashed check with EISDIR).
    mkdirSync(join(workspace, "shared"));
    writeFileSync(join(workspace, "shared", "notes.txt"), "kept");
    symlinkSync(join(workspace, "shared"), join(exercise, "shared"));
    const inside = await run(["check", "add-numbers"]);
    expect([0, 1]).toContain(inside.code);
    expect(inside.stderr).not.toMatch(/EISDIR|\n\s+at /);
    const outside = tempDir();
    writeFileSync(join(outside, "secret.py"), "x = 1\n");
    symlinkSync(join(outside, "secret.py"), join(exercise, "secret.py"));
    const result = await run(["check", "add-numbers"]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, /secret\.py is a symbolic link to .*secret\.py, outside .*: only files inside it are copied/);
  });

  it("reset never writes through a symlinked exercise folder", async () => {
    const { run, workspace } = await learnerWithWorkspace();
    const elsewhere = tempDir();
    const exercise = join(workspace, "basics", "add-numbers");
    execFileSync("rm", ["-rf", exercise]);
    symlinkSync(elsewhere, exercise);
    const result = await run(["reset", "add-numbers"]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, /add-numbers is a symbolic link: roadmap writes only real files/);
    expect(spawnSync("ls", ["-A", elsewhere], { encoding: "utf8" }).stdout).toBe("");
  });

  it("init stops at a dangling symlink where it would write, and writes nothing through it", async () => {
    const { person } = await learnerWithWorkspace();
    const target = join(tempDir(), "ws");
    mkdirSync(join(target, "basics"), { recursive: true });
    const nowhere = join(tempDir(), "nowhere");
    symlinkSync(nowhere, join(target, "basics", "add-numbers"));
    const course = join(cli, "..", "..", "test", "fixtures", "course");
    const result = await person.run(["--roadmap", course, "init", target]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(nowhere)).toBe(false);
  });

  it("a progress file that is a symbolic link is never written through", async () => {
    const { run, progressFile } = await learnerWithWorkspace();
    expect((await run(["checklist", "basics", "--done", "read-docs"])).code).toBe(0);
    const outside = join(tempDir(), "elsewhere.json");
    writeFileSync(outside, readFileSync(progressFile));
    execFileSync("rm", [progressFile]);
    symlinkSync(outside, progressFile);
    const before = readFileSync(outside, "utf8");
    const result = await run(["checklist", "basics", "--done", "write-function"]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, /progress\.json is a symbolic link/);
    expect(readFileSync(outside, "utf8")).toBe(before);
    expect(readlinkSync(progressFile)).toBe(outside);
  });

  it("badge files replace a symbolic link instead of writing through it", async () => {
    const { run, workspace } = await learnerWithWorkspace();
    const outside = join(tempDir(), "victim.svg");
    writeFileSync(outside, "untouched");
    const out = join(workspace, "badge-out");
    mkdirSync(out);
    symlinkSync(outside, join(out, "roadmap.svg"));
    expect((await run(["badge", "--format", "svg", "--out", join(out, "roadmap.svg")])).code).toBe(0);
    expect(readFileSync(outside, "utf8")).toBe("untouched");
    expect(readFileSync(join(out, "roadmap.svg"), "utf8")).toContain("<svg");
  });
});
