import { availableParallelism } from "node:os";
import { roadmapRoot, type GlobalOptions } from "../context.js";
import { loadRoadmap } from "../content/load.js";
import type { Exercise, Roadmap } from "../content/model.js";
import { UserError } from "../errors.js";
import { requireTrustedRoadmap } from "../trust.js";
import { findPython } from "../verify/python.js";
import { wholeNumberOption } from "../whole-number.js";

export interface AuthoringOptions extends GlobalOptions {
  python?: string;
  /** pytest processes to run at once. */
  jobs?: string;
  json?: boolean;
}

export interface AuthoringRun {
  roadmap: Roadmap;
  /** The exercises named on the command line, or all of them. */
  exercises: Exercise[];
  python: string;
  jobs: number;
}

/** Where every `dev` command starts: the roadmap freshly validated (no cache), the exercises asked for, trusted. */
export async function startAuthoringRun(exerciseIds: string[], options: AuthoringOptions): Promise<AuthoringRun> {
  const roadmap = await loadRoadmap(roadmapRoot(options));
  for (const id of exerciseIds) if (!roadmap.exercises.has(id)) throw new UserError(`unknown exercise "${id}"`);
  await requireTrustedRoadmap(options);
  return {
    roadmap,
    exercises: [...roadmap.exercises.values()].filter((e) => exerciseIds.length === 0 || exerciseIds.includes(e.id)),
    python: findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON }).path,
    jobs: wholeNumberOption("--jobs", options.jobs, availableParallelism()),
  };
}
