import { availableParallelism } from "node:os";
import { join } from "node:path";
import { roadmapRoot, type GlobalOptions } from "../context.js";
import { loadRoadmap } from "../content/load.js";
import type { Exercise, Roadmap } from "../content/model.js";
import { UserError } from "../errors.js";
import { requireTrustedRoadmap } from "../trust.js";
import { packageRoot } from "../package-info.js";
import { ForkServers } from "../verify/forkserver.js";
import { findPython } from "../verify/python.js";
import { wholeNumberOption } from "../whole-number.js";

export interface AuthoringOptions extends GlobalOptions {
  python?: string;
  /** pytest processes to run at once. */
  jobs?: string;
  json?: boolean;
  /** false (--no-fork): every run starts its own Python instead of being forked from the exercise's server. */
  fork?: boolean;
}

export interface AuthoringRun {
  roadmap: Roadmap;
  /** The exercises named on the command line, or all of them. */
  exercises: Exercise[];
  python: string;
  jobs: number;
  /** Where runs are forked from (src/verify/forkserver.ts), unless --no-fork: the caller closes it. */
  forks?: ForkServers;
}

/** Where every `dev` command starts: the roadmap freshly validated (no cache), the exercises asked for, trusted. */
export async function startAuthoringRun(exerciseIds: string[], options: AuthoringOptions): Promise<AuthoringRun> {
  const roadmap = await loadRoadmap(roadmapRoot(options));
  for (const id of exerciseIds) if (!roadmap.exercises.has(id)) throw new UserError(`unknown exercise "${id}"`);
  await requireTrustedRoadmap(options);
  const python = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON }).path;
  const jobs = wholeNumberOption("--jobs", options.jobs, availableParallelism());
  return {
    roadmap,
    exercises: [...roadmap.exercises.values()].filter((e) => exerciseIds.length === 0 || exerciseIds.includes(e.id)),
    python,
    jobs,
    forks: options.fork === false ? undefined : new ForkServers(python, join(packageRoot, "python"), jobs),
  };
}
