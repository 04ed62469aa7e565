import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "./errors.js";

/** The file that makes a folder a learner workspace; commands look for it above the current directory. */
export const MARKER_FILE = join(".roadmap", "workspace.json");

export interface WorkspaceMarker {
  /** The tool's package name and the version that last wrote the workspace (init or upgrade). */
  roadmap: string;
  version: string;
  createdAt: string;
  updatedAt?: string;
  /** What the workspace's package.json installs, and its commit when it comes from git. */
  tool?: { spec: string; commit?: string };
  /**
   * A hash of each file as roadmap last wrote it: a file that still has it was not edited, so upgrade may replace it.
   * Workspaces made before 0.2 have none.
   */
  files?: Record<string, string>;
}

/** The workspace's marker; a marker that is not valid JSON stops the command (it is never rewritten blindly). */
export function readMarker(dir: string): WorkspaceMarker {
  const file = join(dir, MARKER_FILE);
  try {
    const marker = JSON.parse(readFileSync(file, "utf8")) as WorkspaceMarker;
    if (typeof marker === "object" && marker !== null && !Array.isArray(marker)) return marker;
  } catch {
    // Reported below.
  }
  throw new UserError(`${file} is not a valid workspace marker (a JSON object).`, 2, `Restore it with: git -C ${dir} checkout -- ${MARKER_FILE}`);
}

export function markerText(marker: WorkspaceMarker): string {
  return JSON.stringify(marker, null, 2) + "\n";
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
