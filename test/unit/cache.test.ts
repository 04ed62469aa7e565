import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheDir, readCache, writeCache } from "../../src/cache.js";
import { loadRoadmapCached } from "../../src/content/cache.js";
import { copyCourse, tempDir } from "../helpers.js";

describe("the cache", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = tempDir("roadmap-cache-home-");
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });

  it("lives in the user's cache folder, private to them", () => {
    writeCache("k", "s1", { a: 1 });
    expect(cacheDir()).toBe(join(process.env.XDG_CACHE_HOME!, "python-backend-roadmap"));
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    const [entry] = readdirSync(cacheDir());
    expect(statSync(join(cacheDir(), entry!)).mode & 0o777).toBe(0o600);
    expect(readCache("k", "s1")).toEqual({ a: 1 });
    expect(readCache("k", "s2")).toBeUndefined();
  });

  it("never reads a folder or an entry that others can write", () => {
    writeCache("k", "s1", { a: 1 });
    chmodSync(cacheDir(), 0o777);
    expect(readCache("k", "s1")).toBeUndefined();
    chmodSync(cacheDir(), 0o700);
    const [entry] = readdirSync(cacheDir());
    chmodSync(join(cacheDir(), entry!), 0o666);
    expect(readCache("k", "s1")).toBeUndefined();
  });

  it("ignores a cached roadmap whose exercise folders point outside the roadmap", async () => {
    const course = copyCourse();
    const first = await loadRoadmapCached(course, "test");
    const [entry] = readdirSync(cacheDir());
    const file = join(cacheDir(), entry!);
    const planted = JSON.parse(readFileSync(file, "utf8"));
    const elsewhere = tempDir("roadmap-planted-");
    mkdirSync(join(elsewhere, "tests"));
    planted.value.exercises[0].dir = elsewhere;
    writeFileSync(file, JSON.stringify(planted), { mode: 0o600 });
    const again = await loadRoadmapCached(course, "test");
    const id = planted.value.exercises[0].id as string;
    expect(again.exercises.get(id)!.dir).toBe(first.exercises.get(id)!.dir);
    expect(again.exercises.get(id)!.dir).not.toBe(elsewhere);
  });
});
