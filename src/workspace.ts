import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "./errors.js";

/** The file that makes a folder a learner workspace; commands look for it above the current directory. */
export const MARKER_FILE = join(".roadmap", "workspace.json");

export interface WorkspaceMarker {
  roadmap: string;
  version: string;
  createdAt: string;
}

export type WorkspaceSource = "--workspace" | "ROADMAP_WORKSPACE" | "current directory" | "last workspace";

export interface WorkspaceLookup {
  flag?: string;
  env?: string;
  cwd: string;
  /** Read only when nothing else names a workspace (it loads the user settings). */
  lastWorkspace: () => Promise<string | undefined>;
}

export function isWorkspace(dir: string): boolean {
  return existsSync(join(dir, MARKER_FILE));
}

/** --workspace, then ROADMAP_WORKSPACE, then the nearest marker above cwd, then the last workspace used. */
export async function findWorkspace(lookup: WorkspaceLookup): Promise<{ dir: string; source: WorkspaceSource } | undefined> {
  const named: [string | undefined, WorkspaceSource][] = [
    [lookup.flag, "--workspace"],
    [lookup.env, "ROADMAP_WORKSPACE"],
  ];
  for (const [value, source] of named) {
    if (!value) continue;
    const dir = resolve(lookup.cwd, value);
    if (!isWorkspace(dir)) {
      throw new UserError(`${source} names ${dir}, which is not a roadmap workspace (no ${MARKER_FILE}).`, 2, `Create one with: roadmap init ${value}`);
    }
    return { dir, source };
  }
  for (let dir = resolve(lookup.cwd); ; dir = dirname(dir)) {
    if (isWorkspace(dir)) return { dir, source: "current directory" };
    if (dirname(dir) === dir) break;
  }
  const last = await lookup.lastWorkspace();
  if (last && isWorkspace(last)) return { dir: last, source: "last workspace" };
  return undefined;
}

/** Where `roadmap init` puts a workspace by default: never inside the tool's own clone. */
export function defaultWorkspaceDir(cwd: string, packageRoot: string): string {
  const inside = resolve(cwd) === resolve(packageRoot) || resolve(cwd).startsWith(resolve(packageRoot) + "/");
  return resolve(inside ? dirname(resolve(packageRoot)) : cwd, "my-backend-roadmap");
}
