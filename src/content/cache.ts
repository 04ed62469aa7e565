import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readCache, writeCache } from "../cache.js";
import { stripControl } from "../sanitize.js";
import type { Exercise, Roadmap, Stage } from "./model.js";

/**
 * A validated roadmap, reused from the cache (src/cache.ts) while no content file changed. Any change to a stage
 * file, an exercise README or a starter folder changes the stamp and the roadmap is loaded and validated again.
 *
 * Lessons and prompts (most of the bytes) are not cached: a command that touches `lesson` or `prompt` reads it
 * from its file then (unchanged since validation, as the stamp says), so `status` parses a few kilobytes.
 */
interface CacheIndex {
  stages: Omit<Stage, "lesson">[];
  exercises: Omit<Exercise, "prompt">[];
}

export async function loadRoadmapCached(root: string, toolVersion: string): Promise<Roadmap> {
  // The tool's version is part of the key: another version may validate or shape content differently.
  const key = `roadmap\0${toolVersion}\0${root}`;
  const stamp = contentStamp(root);
  const cached = readCache<CacheIndex>(key, stamp);
  if (cached && pointsInside(root, cached)) return revive(root, cached);
  const { loadRoadmap } = await import("./load.js");
  const roadmap = await loadRoadmap(root);
  writeCache<CacheIndex>(key, stamp, {
    stages: roadmap.stages.map(({ lesson: _lesson, ...stage }) => stage),
    exercises: [...roadmap.exercises.values()].map(({ prompt: _prompt, ...exercise }) => exercise),
  });
  return roadmap;
}

/** Every folder a cached roadmap names is where the loader would have found it: nothing points elsewhere. */
function pointsInside(root: string, index: CacheIndex): boolean {
  const base = resolve(root);
  return (
    index.stages.every((stage) => dirname(resolve(base, stage.file)) === join(base, "roadmap")) &&
    index.exercises.every((exercise) => resolve(exercise.dir) === join(base, "exercises", exercise.stageId, exercise.id))
  );
}

function revive(root: string, index: CacheIndex): Roadmap {
  const stages = index.stages.map((stage) => withBody<Stage>(stage, "lesson", join(root, stage.file)));
  const exercises = index.exercises.map((exercise) => withBody<Exercise>(exercise, "prompt", join(exercise.dir, "README.md")));
  return { root, stages, exercises: new Map(exercises.map((e) => [e.id, e])) };
}

function withBody<T>(entry: object, key: "lesson" | "prompt", file: string): T {
  let body: string | undefined;
  return Object.defineProperty({ ...entry }, key, { enumerable: true, get: () => (body ??= markdownBody(stripControl(readFileSync(file, "utf8")))) }) as T;
}

/** The markdown after the front matter, as gray-matter gives it: everything after the closing '---' line. */
export function markdownBody(source: string): string {
  const match = /^---[^\n]*\n[\s\S]*?\n---[^\n]*(?:\n|$)/.exec(source);
  return match ? source.slice(match[0].length) : source;
}

/** Names, sizes and modification times of everything the loader reads or checks. */
export function contentStamp(root: string): string {
  const parts: string[] = [];
  const add = (path: string) => {
    try {
      const stat = statSync(path);
      parts.push(`${path}:${stat.size}:${stat.mtimeMs}`);
    } catch {
      parts.push(`${path}:missing`);
    }
  };
  const list = (dir: string) => {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  };
  for (const name of list(join(root, "roadmap"))) add(join(root, "roadmap", name));
  for (const stage of list(join(root, "exercises"))) {
    add(join(root, "exercises", stage));
    for (const exercise of list(join(root, "exercises", stage))) {
      const dir = join(root, "exercises", stage, exercise);
      add(join(dir, "README.md"));
      add(join(dir, "starter"));
    }
  }
  return parts.join("\n");
}
