import { readFileSync } from "node:fs";
import { join } from "node:path";
import envPaths from "env-paths";

/** Per-user settings, in the user's config folder (not the workspace). */
export interface Settings {
  lastWorkspace?: string;
  python?: string;
  /** Realpaths of `--roadmap` folders whose verifiers the learner agreed to run. */
  trustedRoadmaps?: string[];
}

// The folder conf itself uses for this project name, so reads need not load conf (and its schema compiler).
const PROJECT = "python-backend-roadmap";
const settingsDir = () => envPaths(PROJECT, { suffix: "" }).config;

export function readSettings(): Settings {
  try {
    return JSON.parse(readFileSync(join(settingsDir(), "config.json"), "utf8")) as Settings;
  } catch {
    // NOTE: missing or unreadable settings only lose the convenience of a remembered workspace; never block work.
    return {};
  }
}

export async function updateSettings(change: Partial<Settings>): Promise<void> {
  const { default: Conf } = await import("conf");
  const store = new Conf<Settings>({
    projectName: PROJECT,
    cwd: settingsDir(),
    clearInvalidConfig: false,
    accessPropertiesByDotNotation: false,
  });
  store.store = { ...store.store, ...change };
}
