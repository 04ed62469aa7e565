import { resolve } from "node:path";
import { loadRoadmapCached } from "./content/cache.js";
import { findStage, type Exercise, type Roadmap, type Stage } from "./content/model.js";
import { UserError } from "./errors.js";
import { packageRoot, readPackageInfo } from "./package-info.js";
import { findWorkspace } from "./workspace.js";

/** Options every command accepts (the global flags). */
export interface GlobalOptions {
  workspace?: string;
  roadmap?: string;
  /** Run a `--roadmap` folder's verifiers without asking (see trust.ts). */
  trust?: boolean;
  cwd?: string;
}

export function roadmapRoot(options: GlobalOptions): string {
  return options.roadmap ? resolve(options.cwd ?? process.cwd(), options.roadmap) : packageRoot;
}

/** The roadmap, validated; reused from the content cache while nothing in it changed. */
export function loadContent(options: GlobalOptions): Promise<Roadmap> {
  return loadRoadmapCached(roadmapRoot(options), readPackageInfo().version);
}

export async function locateWorkspace(options: GlobalOptions): Promise<string | undefined> {
  const found = await findWorkspace({
    flag: options.workspace,
    env: process.env.ROADMAP_WORKSPACE,
    cwd: options.cwd ?? process.cwd(),
    lastWorkspace: async () => (await import("./settings.js")).readSettings().lastWorkspace,
  });
  return found?.dir;
}

export async function requireWorkspace(options: GlobalOptions): Promise<string> {
  const dir = await locateWorkspace(options);
  if (!dir) {
    throw new UserError("No roadmap workspace found here.", 2, "Create one with: roadmap init [dir]  (or pass --workspace <dir>)");
  }
  return dir;
}

/** Accepts a stage id or its number; anything else is refused (ids are never used as paths unchecked). */
export function resolveStage(roadmap: Roadmap, arg: string): Stage {
  const stage = findStage(roadmap, arg) ?? roadmap.stages.find((s) => String(s.order) === arg);
  if (!stage) {
    throw new UserError(`unknown stage "${arg}"`, 2, `Stages: ${roadmap.stages.map((s) => s.id).join(", ")}`);
  }
  return stage;
}

export function resolveExercise(roadmap: Roadmap, arg: string): Exercise {
  const exercise = roadmap.exercises.get(arg);
  if (!exercise) {
    throw new UserError(`unknown exercise "${arg}"`, 2, "List them with: roadmap status --exercises");
  }
  return exercise;
}
