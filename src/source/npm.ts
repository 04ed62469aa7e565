// The one module that runs npm (through src/verify/process.ts, like every process roadmap starts).
import { runProcess, type RunResult } from "../verify/process.js";

// A git dependency is built on install (npm runs its `prepare`), which takes a minute or two on a slow network.
const INSTALL_TIMEOUT_MS = 15 * 60_000;

/** `npm install` in a workspace, its output passed to `onOutput` as it comes. */
export function npmInstall(dir: string, onOutput: (chunk: string) => void): Promise<RunResult> {
  return runProcess({
    file: "npm",
    // --foreground-scripts: the tool's build (its `prepare`) shows its output instead of a silent pause.
    args: ["install", "--no-audit", "--no-fund", "--foreground-scripts"],
    cwd: dir,
    env: process.env,
    timeoutMs: INSTALL_TIMEOUT_MS,
    onOutput,
  });
}

/** Whether the npm registry has `name@version` (`npm view`); false when it has not or cannot be asked. */
export async function isPublished(name: string, version: string, cwd: string): Promise<boolean> {
  const result = await runProcess({ file: "npm", args: ["view", `${name}@${version}`, "version"], cwd, env: process.env, timeoutMs: 60_000 });
  return result.exitCode === 0 && result.stdout.trim() === version;
}
