import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shortHash } from "../hash.js";
import type { Exercise, Roadmap, Stage } from "./model.js";

/**
 * A validated roadmap, kept as JSON and reused while no content file changed, so that `status` and `next`
 * parse no YAML and load no schema library. Any change to a stage file, an exercise README or a starter folder
 * changes the stamp and the roadmap is loaded and validated again.
 *
 * Lessons and prompts (most of the bytes) are not cached: a command that touches `lesson` or `prompt` reads it
 * from its file then (unchanged since validation, as the stamp says), so `status` parses a few kilobytes.
 */
interface CacheIndex {
  layout: typeof CACHE_LAYOUT;
  tool: string;
  stamp: string;
  stages: Omit<Stage, "lesson">[];
  exercises: Omit<Exercise, "prompt">[];
}

const CACHE_LAYOUT = 2;

export async function loadRoadmapCached(root: string, toolVersion: string): Promise<Roadmap> {
  const file = cacheFileFor(root, toolVersion);
  const stamp = contentStamp(root);
  try {
    const cached = JSON.parse(readFileSync(file, "utf8")) as CacheIndex;
    if (cached.layout === CACHE_LAYOUT && cached.tool === toolVersion && cached.stamp === stamp) return revive(root, cached);
  } catch {
    // No cache yet, or an unreadable one: load from the content itself.
  }
  const { loadRoadmap } = await import("./load.js");
  const roadmap = await loadRoadmap(root);
  saveCache(file, {
    layout: CACHE_LAYOUT,
    tool: toolVersion,
    stamp,
    stages: roadmap.stages.map(({ lesson: _lesson, ...stage }) => stage),
    exercises: [...roadmap.exercises.values()].map(({ prompt: _prompt, ...exercise }) => exercise),
  } satisfies CacheIndex);
  return roadmap;
}

function revive(root: string, index: CacheIndex): Roadmap {
  const stages = index.stages.map((stage) => withBody<Stage>(stage, "lesson", join(root, stage.file)));
  const exercises = index.exercises.map((exercise) => withBody<Exercise>(exercise, "prompt", join(exercise.dir, "README.md")));
  return { root, stages, exercises: new Map(exercises.map((e) => [e.id, e])) };
}

function withBody<T>(entry: object, key: "lesson" | "prompt", file: string): T {
  let body: string | undefined;
  return Object.defineProperty({ ...entry }, key, { enumerable: true, get: () => (body ??= markdownBody(readFileSync(file, "utf8"))) }) as T;
}

/** The markdown after the front matter, as gray-matter gives it: everything after the closing '---' line. */
export function markdownBody(source: string): string {
  const match = /^---[^\n]*\n[\s\S]*?\n---[^\n]*(?:\n|$)/.exec(source);
  return match ? source.slice(match[0].length) : source;
}

function cacheFileFor(root: string, toolVersion: string): string {
  const key = shortHash(`${toolVersion}\0${root}`);
  return join(tmpdir(), "python-backend-roadmap-cache", `${key}.json`);
}

function saveCache(file: string, data: unknown): void {
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(data));
    renameSync(temporary, file);
  } catch {
    // NOTE: a cache that cannot be written only costs speed on the next run.
  }
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
