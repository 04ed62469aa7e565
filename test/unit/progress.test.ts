import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { tempDir } from "../helpers.js";
import {
  emptyProgress,
  markExercisePassed,
  markLessonRead,
  recordHintUsed,
  recordSolutionViewed,
  setChecklistItems,
} from "../../src/progress/model.js";

const t1 = new Date("2026-01-01T00:00:00Z");
const t2 = new Date("2026-02-01T00:00:00Z");

describe("progress transitions", () => {
  it("never changes the progress they are given", () => {
    const before = emptyProgress();
    const snapshot = JSON.stringify(before);
    setChecklistItems(before, "s", { tick: ["a"] }, t1);
    markExercisePassed(before, "e", t1);
    markLessonRead(before, "s", t1);
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it.each([
    ["ticking keeps the first time", (p = emptyProgress()) => setChecklistItems(setChecklistItems(p, "s", { tick: ["a"] }, t1), "s", { tick: ["a"] }, t2).checklist.s, { a: t1.toISOString() }],
    ["unticking removes the item", (p = emptyProgress()) => setChecklistItems(setChecklistItems(p, "s", { tick: ["a", "b"] }, t1), "s", { untick: ["a"] }, t2).checklist.s, { b: t1.toISOString() }],
    ["a pass keeps the first pass time", (p = emptyProgress()) => markExercisePassed(markExercisePassed(p, "e", t1), "e", t2).exercises.e, { hintsUsed: 0, passedAt: t1.toISOString(), history: [{ at: t1.toISOString(), event: "passed" }] }],
    ["hints used only grow", (p = emptyProgress()) => recordHintUsed(recordHintUsed(p, "e", 2), "e", 1).exercises.e, { hintsUsed: 2, history: [] }],
    ["viewing a solution is recorded once", (p = emptyProgress()) => recordSolutionViewed(recordSolutionViewed(p, "e", t1), "e", t2).exercises.e, { hintsUsed: 0, history: [], solutionViewedAt: t1.toISOString() }],
    ["a lesson is read once", (p = emptyProgress()) => markLessonRead(markLessonRead(p, "s", t1), "s", t2).lessons, { s: t1.toISOString() }],
  ])("%s", (_name, run, expected) => {
    expect(run()).toEqual(expected);
  });
});

describe("readProgress", () => {
  it("reuses a validated file while it is unchanged, and validates it again once it changes", async () => {
    const { readProgress } = await import("../../src/progress/store.js");
    const workspace = tempDir();
    const file = join(workspace, ".roadmap", "progress.json");
    mkdirSync(join(workspace, ".roadmap"));
    writeFileSync(file, JSON.stringify({ schema: 1, lessons: { s: "2026-01-01T00:00:00.000Z" } }));
    const first = await readProgress(workspace);
    expect(first.lessons).toEqual({ s: "2026-01-01T00:00:00.000Z" });
    expect(first.review).toEqual({});
    expect(await readProgress(workspace)).toEqual(first);

    // Same length, different content: the stamp (size, times, inode) still changes, so it is checked again.
    writeFileSync(file, JSON.stringify({ schema: 1, lessons: { s: 2026010100000000000000000 } }).slice(0, readFileSync(file).length));
    await expect(readProgress(workspace)).rejects.toThrow(UserError);
  });
});
