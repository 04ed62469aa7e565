// The one progress migration, schema 1 → 2, proven on a real round-1 file (test/fixtures/progress/schema-1.json).
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeCache } from "../../src/cache.js";
import { loadRoadmap } from "../../src/content/load.js";
import { summarizeStage } from "../../src/plan.js";
import { migrateFromSchema1 } from "../../src/progress/migrate.js";
import { PROGRESS_SCHEMA, setChecklistItems } from "../../src/progress/model.js";
import { progressSchema, progressSchema1 } from "../../src/progress/schema.js";
import { readProgress, updateProgress } from "../../src/progress/store.js";
import { fixtureCourse, repoRoot, tempDir } from "../helpers.js";

const fixture = join(repoRoot, "test", "fixtures", "progress", "schema-1.json");
const round1 = () => progressSchema1.parse(JSON.parse(readFileSync(fixture, "utf8")));
const roadmap = await loadRoadmap(fixtureCourse);

describe("migrateFromSchema1 on a real round-1 file", () => {
  it("keeps the answers and pins each to the question version its review card records; drops stored verdicts", () => {
    const old = round1();
    const migrated = migrateFromSchema1(old);
    expect(progressSchema.parse(migrated)).toEqual(migrated);
    expect(migrated.schema).toBe(PROGRESS_SCHEMA);
    expect(migrated.lessons).toEqual(old.lessons);
    expect(migrated.checklist).toEqual(old.checklist);
    expect(migrated.review).toEqual(old.review);
    expect(migrated.quizzes.basics).toHaveLength(2);
    migrated.quizzes.basics!.forEach((attempt, index) => {
      expect(attempt).toEqual({
        at: old.quizzes.basics![index]!.at,
        answers: Object.fromEntries(
          Object.entries(old.quizzes.basics![index]!.answers).map(([id, { given }]) => [id, { given, fingerprint: old.review[id]!.fingerprint }]),
        ),
      });
    });
    expect(migrated.exercises).toEqual({
      "add-numbers": { passedAt: old.exercises["add-numbers"]!.passedAt, hintsUsed: 2, history: [{ at: old.exercises["add-numbers"]!.passedAt, event: "passed" }] },
      greet: { hintsUsed: 1, solutionViewedAt: old.exercises.greet!.solutionViewedAt, history: [] },
    });
  });

  it("is pure: the round-1 data is left as it was", () => {
    const old = round1();
    const before = structuredClone(old);
    migrateFromSchema1(old);
    expect(old).toEqual(before);
  });

  it("on unchanged content the standing is what round 1 showed: checklist 2/2, quiz best 67% and passed, add-numbers passed", () => {
    const migrated = migrateFromSchema1(round1());
    const [basics, advanced] = roadmap.stages.map((stage) => summarizeStage(roadmap, migrated, stage));
    expect(basics).toMatchObject({ checklist: { done: 2, total: 2 }, quiz: { best: 2 / 3, passed: true, unanswered: 0 }, exercises: { passed: 1 }, complete: true });
    expect(advanced).toMatchObject({ checklist: { done: 1, total: 1 }, exercises: { passed: 0 }, complete: false, started: true });
  });

  it.each([
    ["no review card", {}],
    ["a card of another stage", { "pick-one": { stage: "advanced" } }],
  ])("an answer whose question has %s gets no fingerprint, so it counts for nothing", (_name, cards) => {
    const old = round1();
    const review = { ...old.review };
    delete review["pick-one"];
    for (const [id, card] of Object.entries(cards)) review[id] = { ...old.review[id]!, ...card };
    const migrated = migrateFromSchema1({ ...old, review });
    expect(migrated.quizzes.basics![1]!.answers["pick-one"]).toEqual({ given: ["four"] });
    expect(summarizeStage(roadmap, migrated, roadmap.stages[0]!).quiz).toMatchObject({ unanswered: 1, best: 1 / 3, passed: false });
  });
});

describe("reading a round-1 file", () => {
  let savedCache: string | undefined;
  beforeEach(() => {
    savedCache = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = tempDir("roadmap-cache-home-");
  });
  afterEach(() => {
    if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = savedCache;
  });

  const workspaceWithFixture = () => {
    const workspace = tempDir();
    mkdirSync(join(workspace, ".roadmap"));
    const file = join(workspace, ".roadmap", "progress.json");
    cpSync(fixture, file);
    return { workspace, file };
  };

  it("migrates in memory; the file is rewritten in schema 2 only by the next change saved", async () => {
    const { workspace, file } = workspaceWithFixture();
    const bytes = readFileSync(file);
    expect(await readProgress(workspace)).toEqual(migrateFromSchema1(round1()));
    expect(await readProgress(workspace)).toEqual(migrateFromSchema1(round1())); // from the cache, still migrated
    await updateProgress(workspace, (p) => p); // no change: nothing written
    expect(readFileSync(file).equals(bytes)).toBe(true);

    const at = new Date("2026-12-01T00:00:00Z");
    await updateProgress(workspace, (p) => setChecklistItems(p, "basics", { untick: ["read-docs"] }, at));
    const written = JSON.parse(readFileSync(file, "utf8"));
    expect(written.schema).toBe(2);
    expect(written.quizzes.basics[1]).not.toHaveProperty("passed");
    expect(written.exercises["add-numbers"].history).toEqual([{ at: round1().exercises["add-numbers"]!.passedAt, event: "passed" }]);
    expect(await readProgress(workspace)).toEqual(setChecklistItems(migrateFromSchema1(round1()), "basics", { untick: ["read-docs"] }, at));
  });

  it("never reuses what round 1 cached for the same unchanged file", async () => {
    const { workspace, file } = workspaceWithFixture();
    const stat = statSync(file);
    // Round 1 cached its validated (schema-1) value under this key and stamp.
    writeCache(`progress\0${file}`, `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`, round1());
    expect((await readProgress(workspace)).schema).toBe(2);
  });

  it.each([
    ["a newer schema is refused, never migrated", { schema: PROGRESS_SCHEMA + 1 }, /written by a newer python-backend-roadmap \(progress schema 3, this one reads 2\)/],
    ["a schema-1 file of a wrong shape is refused", { schema: 1, quizzes: { basics: [{ at: "x", answers: {} }] } }, /not a progress file this tool understands \(quizzes\.basics\.0\.score:/],
    ["an unknown schema is refused", { schema: 0 }, /not a progress file this tool understands \(schema:/],
  ])("%s", async (_name, content, message) => {
    const { workspace, file } = workspaceWithFixture();
    writeFileSync(file, JSON.stringify(content));
    await expect(readProgress(workspace)).rejects.toThrow(message);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(content);
  });
});
