import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished } from "vitest";

export const repoRoot = join(import.meta.dirname, "..");
export const cli = join(repoRoot, "bin", "roadmap.js");
export const fixtureCourse = join(repoRoot, "test", "fixtures", "course");

/** A temporary folder removed when the current test finishes. */
export function tempDir(prefix = "roadmap-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of the tiny fixture course (two stages, a passing and a failing exercise), safe to change. */
export function copyCourse(from = fixtureCourse): string {
  const dir = join(tempDir("roadmap-course-"), "course");
  cpSync(from, dir, { recursive: true });
  return dir;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Learner {
  home: string;
  env: NodeJS.ProcessEnv;
  run: (args: string[], options?: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv }) => Promise<RunResult>;
}

/**
 * A learner with a fresh HOME and config folder, running the built CLI without a TTY, with this tool as `roadmap` on
 * PATH (as `npm link` makes it), so the commands it prints read `roadmap <command>`.
 */
export function learner(): Learner {
  const home = tempDir("roadmap-home-");
  const bin = join(home, ".local", "bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(cli, join(bin, "roadmap"));
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    // Its own temporary folder, removed with HOME: content caches and verifier folders go there.
    TMPDIR: mkdirSync(join(home, "tmp"), { recursive: true }) ?? join(home, "tmp"),
    NO_COLOR: "1",
    ROADMAP_PYTHON: process.env.ROADMAP_PYTHON,
  };
  return {
    home,
    env,
    run: (args, options = {}) => runCli(args, { cwd: options.cwd ?? home, env: { ...env, ...options.env }, input: options.input }),
  };
}

export function runCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** The Python verifiers run with in tests. */
export const python = process.env.ROADMAP_PYTHON ?? "python3";

/**
 * A learner with a fresh workspace made by `roadmap init` from a course (default: a copy of the fixture course).
 * `run` works inside the workspace on that course, trusting its verifiers, with ROADMAP_PYTHON set.
 */
export async function learnerWithWorkspace(course = copyCourse()) {
  const person = learner();
  const workspace = join(person.home, "ws");
  const init = await person.run(["--roadmap", course, "init", workspace, "--no-install"]);
  expect(init.code, init.stderr).toBe(0);
  const progressFile = join(workspace, ".roadmap", "progress.json");
  const run = (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    person.run(["--roadmap", course, "--trust", ...args], { cwd: workspace, input: options.input, env: { ROADMAP_PYTHON: python, ...options.env } });
  /** The saved progress, or {} before anything was saved. */
  const progress = () => (existsSync(progressFile) ? readJson(progressFile) : {});
  return { person, course, workspace, progressFile, run, progress };
}

export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, "utf8"));
}

export const ENTER = "\r";
export const SPACE = " ";
export const CTRL_C = "\x03";

/** A step of a terminal session: wait for a text, then type keys or write a file (an editor's save). */
export type TerminalStep = [waitFor: string, then: string | { write: [path: string, text: string] } | { sleep: number }];

/** Runs the built CLI under a real pseudo-terminal (python3's pty module, no native addon), step by step. */
export function underTerminal(
  steps: TerminalStep[],
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = env.HOME,
): Promise<{ exit: number; output: string; missing: string | null }> {
  const driver = join(repoRoot, "test", "e2e", "pty_session.py");
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [driver, JSON.stringify(steps), process.execPath, cli, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", () => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`pty driver failed: ${stderr}${stdout}`));
      }
    });
  });
}

/** Whether a process still runs after a grace period; a killed one may linger a moment as a zombie. */
export async function stillRunningAfter(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  const running = () => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
    } catch {
      return false;
    }
  };
  while (running() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return running();
}

/** Waits (up to 20 s) until the condition holds. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Processes that inherited this test's marker variable: the verifier and anything it started. */
export function processesMarked(mark: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").includes(`ROADMAP_TEST_MARK=${mark}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}
