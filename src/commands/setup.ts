import { existsSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireWorkspace } from "../context.js";
import { ExitCode, UserError } from "../errors.js";
import { shellQuote } from "../ui/command.js";
import { isInteractive } from "../ui/prompts.js";
import { print, style } from "../ui/style.js";
import { findPython } from "../verify/python.js";
import { runProcess } from "../verify/process.js";
import type { VerifyCommandOptions } from "./check.js";

export interface SetupOptions extends VerifyCommandOptions {
  force?: boolean;
}

const INSTALL_TIMEOUT_MS = 30 * 60_000;
/** Where the workspace's .venv waits while a new one is built; put back if the build fails. */
export const VENV_ASIDE = ".venv-before-setup";
/** Written into the .venv by a setup that finished: which interpreter built it. */
export const SETUP_RECORD = "roadmap-setup.json";

interface SetupRecord {
  /** The interpreter as named (--python, ROADMAP_PYTHON, the setting or PATH). */
  python: string;
  /** Its real path: two names of one interpreter build the same venv. */
  realpath: string;
  version: string;
  at: string;
}

/**
 * Creates the workspace's .venv and installs requirements.txt into it, showing pip's progress. A setup that fails
 * or is interrupted leaves the workspace as it found it: a venv cannot be moved once built (its scripts name their
 * own path), so the old .venv is moved aside, the new one is built in place, and the old one comes back on failure.
 */
export async function setup(options: SetupOptions): Promise<void> {
  const workspace = await requireWorkspace(options);
  const venv = join(workspace, ".venv");
  const aside = join(workspace, VENV_ASIDE);
  const venvPython = join(venv, "bin", "python");
  const show = (chunk: string) => process.stdout.write(style.dim(chunk));
  recoverInterrupted(venv, aside);

  const { readSettings, updateSettings } = await import("../settings.js");
  const base = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON, setting: readSettings().python });
  const version = await pythonVersion(base.path);
  const named = `${base.path} (Python ${version})`;
  if (!/^3\.(1\d|[2-9]\d)\./.test(version)) {
    throw new UserError(`${named} is too old: the exercises need Python 3.10 or newer.`, ExitCode.usage, "Name a newer one: roadmap setup --python <path to python3.10 or newer>");
  }

  const current = existsSync(venv) ? builtWith(venv) : undefined;
  let rebuild = !existsSync(venvPython);
  if (existsSync(venvPython) && (options.force || (options.python && current?.realpath !== realpath(base.path)))) {
    const why = current ? `uses ${current.python} (Python ${current.version})` : "was not made by roadmap setup";
    if (!options.force) {
      const retry = `roadmap setup --python ${shellQuote(base.path)} --force`;
      if (!isInteractive()) throw new UserError(`${venv} ${why}, not ${named}; to recreate it with ${base.path} run: ${retry}`, ExitCode.usage);
      const { confirm } = await import("../ui/prompts.js");
      if (!(await confirm(`${venv} ${why}. Recreate it with ${named}?`, false))) {
        throw new UserError(`kept ${venv} as it is; to recreate it with ${base.path} run: ${retry}`, ExitCode.failed);
      }
    }
    rebuild = true;
  }

  let restore = () => {};
  if (rebuild) {
    if (existsSync(venv)) renameSync(venv, aside);
    // Sync: it also runs when roadmap is stopped (Ctrl+C, SIGTERM) while pip runs (see runProcess's onAbort).
    restore = () => {
      rmSync(venv, { recursive: true, force: true });
      if (existsSync(aside)) renameSync(aside, venv);
      restore = () => {};
    };
    print(`Creating ${venv} with ${named} ...`);
    const created = await runProcess({ file: base.path, args: ["-m", "venv", venv], cwd: workspace, env: process.env, timeoutMs: 120_000, onOutput: show, onAbort: () => restore() });
    if (created.interrupted) throw interrupted(restore, base.path);
    if (created.exitCode !== 0 || !existsSync(venvPython)) {
      restore();
      const output = `${created.stderr}${created.stdout}`;
      const minor = version.split(".").slice(0, 2).join(".");
      const fix = output.includes("ensurepip")
        ? `${base.path} has no venv module with pip. On Debian/Ubuntu: sudo apt-get install python${minor}-venv, then run: roadmap setup --python ${shellQuote(base.path)}`
        : `Fix the error above, or name another Python: roadmap setup --python <path>`;
      throw new UserError(`${named} could not create ${venv}: ${created.startError ?? lastLine(output)}`, ExitCode.usage, fix);
    }
  }

  print(`Installing ${join(workspace, "requirements.txt")} into ${venv} (${venvPython} -m pip) ...`);
  const installed = await runProcess({
    file: venvPython,
    args: ["-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt"],
    cwd: workspace,
    env: process.env,
    timeoutMs: INSTALL_TIMEOUT_MS,
    onOutput: show,
    onAbort: () => restore(),
  });
  if (installed.interrupted) throw interrupted(restore, base.path);
  if (installed.exitCode !== 0) {
    restore();
    const left = rebuild ? (existsSync(venv) ? ` ${venv} is as it was before.` : ` No ${venv} was left behind.`) : "";
    throw new UserError(
      `${venvPython} -m pip could not install the requirements: ${installed.startError ?? lastLine(installed.stderr || installed.stdout)}.${left}`,
      ExitCode.usage,
      `Fix the error above, then run: roadmap setup --python ${shellQuote(base.path)}`,
    );
  }
  if (rebuild) {
    const record: SetupRecord = { python: base.path, realpath: realpath(base.path), version, at: new Date().toISOString() };
    writeFileSync(join(venv, SETUP_RECORD), JSON.stringify(record, null, 2) + "\n");
    rmSync(aside, { recursive: true, force: true });
  }
  // A Python named here is remembered (once it worked) for later venvs and for checks outside a workspace venv.
  if (options.python) await updateSettings({ python: base.path });
  print(style.green(`Ready: verifiers will run with ${venvPython} (${named}).`));
  print("Next: roadmap next");
}

/** A setup stopped hard (killed, power lost) left the old venv aside: it comes back before anything else. */
function recoverInterrupted(venv: string, aside: string): void {
  if (!existsSync(aside)) return;
  rmSync(venv, { recursive: true, force: true });
  renameSync(aside, venv);
  print(style.yellow(`An earlier setup did not finish: put the previous ${venv} back.`));
}

function interrupted(restore: () => void, python: string): UserError {
  restore();
  return new UserError(`setup was interrupted; the workspace's venv is as it was. To finish: roadmap setup --python ${shellQuote(python)}`, ExitCode.interrupted);
}

/** Which interpreter built the venv: setup's record, else (a venv made by hand) where its python points. */
function builtWith(venv: string): SetupRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(venv, SETUP_RECORD), "utf8")) as SetupRecord;
  } catch {
    const python = join(venv, "bin", "python");
    const target = realpath(python);
    if (target === python) return undefined; // a copy, not a link: nothing says which interpreter it came from
    const version = /^version(?:_info)?\s*=\s*(\S+)/m.exec(readOr(join(venv, "pyvenv.cfg")))?.[1] ?? "unknown version";
    return { python: target, realpath: target, version, at: "" };
  }
}

async function pythonVersion(python: string): Promise<string> {
  const probe = await runProcess({
    file: python,
    args: ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
    cwd: process.cwd(),
    env: process.env,
    timeoutMs: 30_000,
  });
  const version = probe.stdout.trim();
  if (probe.exitCode !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new UserError(`${python} did not run as a Python interpreter: ${probe.startError ?? (lastLine(probe.stderr || probe.stdout) || "no output")}`, ExitCode.usage, "Name a Python 3.10 or newer: roadmap setup --python <path>");
  }
  return version;
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
