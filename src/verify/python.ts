import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UserError } from "../errors.js";

export type PythonSource = "--python" | "ROADMAP_PYTHON" | "workspace .venv" | "user setting" | "PATH";

export interface PythonLookup {
  flag?: string;
  env?: string;
  workspace?: string;
  setting?: string;
  path?: string;
}

/** Python for the verifiers: --python, ROADMAP_PYTHON, the workspace's .venv, the user setting, then PATH. */
export function findPython(lookup: PythonLookup): { path: string; source: PythonSource } {
  const named: [string | undefined, PythonSource][] = [
    [lookup.flag, "--python"],
    [lookup.env, "ROADMAP_PYTHON"],
  ];
  for (const [value, source] of named) {
    if (!value) continue;
    const found = resolveProgram(value, lookup.path);
    if (!found) throw new UserError(`${source} names ${value}, which is not a program here.`, 2, "Point it at a Python 3.10+ interpreter.");
    return { path: found, source };
  }
  if (lookup.workspace) {
    const venv = join(lookup.workspace, ".venv", "bin", "python");
    if (existsSync(venv)) return { path: venv, source: "workspace .venv" };
  }
  if (lookup.setting) {
    const found = resolveProgram(lookup.setting, lookup.path);
    if (found) return { path: found, source: "user setting" };
  }
  for (const name of ["python3", "python"]) {
    const found = resolveProgram(name, lookup.path);
    if (found) return { path: found, source: "PATH" };
  }
  throw new UserError(
    "No Python found (tried the workspace .venv, python3 and python on PATH).",
    2,
    "Install Python 3.10 or newer, then run: roadmap setup   (or pass --python <path>)",
  );
}

function resolveProgram(name: string, searchPath = process.env.PATH ?? ""): string | undefined {
  if (name.includes("/")) return existsSync(name) ? name : undefined;
  for (const dir of searchPath.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
