import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Exercise, Roadmap } from "./model.js";

/**
 * A validated roadmap, kept as JSON and reused while no content file changed, so that `status` and `next`
 * parse no YAML and load no schema library. Any change to a stage file, an exercise README or a starter folder
 * changes the stamp and the roadmap is loaded and validated again.
 */
interface CacheFile {
  tool: string;
  stamp: string;
  stages: Roadmap["stages"];
  exercises: Exercise[];
}

export async function loadRoadmapCached(root: string, toolVersion: string): Promise<Roadmap> {
  const file = cacheFileFor(root, toolVersion);
  const stamp = contentStamp(root);
  try {
    const cached = JSON.parse(readFileSync(file, "utf8")) as CacheFile;
    if (cached.tool === toolVersion && cached.stamp === stamp) {
      return { root, stages: cached.stages, exercises: new Map(cached.exercises.map((e) => [e.id, e])) };
    }
  } catch {
    // No cache yet, or an unreadable one: load from the content itself.
  }
  const { loadRoadmap } = await import("./load.js");
  const roadmap = await loadRoadmap(root);
  saveCache(file, { tool: toolVersion, stamp, stages: roadmap.stages, exercises: [...roadmap.exercises.values()] });
  return roadmap;
}

function cacheFileFor(root: string, toolVersion: string): string {
  const key = createHash("sha256").update(`${toolVersion}\0${root}`).digest("hex").slice(0, 16);
  return join(tmpdir(), "python-backend-roadmap-cache", `${key}.json`);
}

function saveCache(file: string, data: CacheFile): void {
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
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}
