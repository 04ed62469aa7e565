import { existsSync } from "node:fs";
import { join } from "node:path";
import { requireWorkspace } from "../context.js";
import { UserError } from "../errors.js";
import { print, style } from "../ui/style.js";
import { findPython } from "../verify/python.js";
import { runProcess } from "../verify/process.js";
import type { VerifyCommandOptions } from "./check.js";

const INSTALL_TIMEOUT_MS = 30 * 60_000;

/** Creates the workspace's .venv (once) and installs requirements.txt into it, showing pip's progress. */
export async function setup(options: VerifyCommandOptions): Promise<void> {
  const workspace = await requireWorkspace(options);
  const venv = join(workspace, ".venv");
  const venvPython = join(venv, "bin", "python");
  const show = (chunk: string) => process.stdout.write(style.dim(chunk));

  if (!existsSync(venvPython)) {
    const { readSettings, updateSettings } = await import("../settings.js");
    const base = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON, setting: readSettings().python });
    // A Python named here is remembered for later venvs and for checks outside a workspace venv.
    if (options.python) await updateSettings({ python: base.path });
    print(`Creating ${venv} with ${base.path} ...`);
    const created = await runProcess({ file: base.path, args: ["-m", "venv", venv], cwd: workspace, env: process.env, timeoutMs: 120_000, onOutput: show });
    if (created.exitCode !== 0) {
      const why = `${created.stderr}${created.stdout}`.includes("ensurepip") ? " (on Debian/Ubuntu: sudo apt-get install python3-venv)" : "";
      throw new UserError(`could not create ${venv}${why}: ${created.startError ?? lastLine(created.stderr || created.stdout)}`);
    }
  }
  print(`Installing ${join(workspace, "requirements.txt")} into ${venv} ...`);
  const installed = await runProcess({
    file: venvPython,
    args: ["-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt"],
    cwd: workspace,
    env: process.env,
    timeoutMs: INSTALL_TIMEOUT_MS,
    onOutput: show,
  });
  if (installed.interrupted) throw new UserError("setup was interrupted; run roadmap setup again to finish.", 130);
  if (installed.exitCode !== 0) {
    throw new UserError(`pip could not install the requirements: ${lastLine(installed.stderr || installed.stdout)}`, 2, "Fix the error above, then run: roadmap setup");
  }
  print(style.green(`Ready: verifiers will run with ${venvPython}.`));
  print("Next: roadmap next");
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
