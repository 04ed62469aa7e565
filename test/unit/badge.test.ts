import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderBadge, renderSvg } from "../../src/ci/files.js";
import { badgeColor, badgeOf, buildReport, endpointJson, formatReportTable, markdownSummary, type VerifiedStatus } from "../../src/ci/report.js";
import { loadRoadmap } from "../../src/content/load.js";
import { emptyProgress, markExercisePassed, recordQuizAttempt, setChecklistItems, type Progress } from "../../src/progress/model.js";
import { fixtureCourse } from "../helpers.js";
import { attemptOn } from "./attempts.js";

const roadmap = await loadRoadmap(fixtureCourse);
const now = new Date("2026-01-02T03:04:05Z");
type Step = (p: Progress) => Progress;
const pass = (exercise: string): Step => (p) => markExercisePassed(p, exercise, now);
const tick = (stage: string, ...items: string[]): Step => (p) => setChecklistItems(p, stage, { tick: items }, now);
const basicsQuestions = roadmap.stages[0]!.quiz.questions;
const quiz = (passed: boolean): Step => (p) => recordQuizAttempt(p, "basics", attemptOn(basicsQuestions, now, passed ? [] : ["pick-one", "pick-many"]));
const progressAfter = (...steps: Step[]) => steps.reduce((p, step) => step(p), emptyProgress());
const basicsWork = [tick("basics", "read-docs", "write-function"), quiz(true)];
const advancedWork = [tick("advanced", "ship-it")];
const verdicts = (entries: Record<string, VerifiedStatus>) => new Map(Object.entries(entries));

describe("badge text and colour", () => {
  it.each([
    [0, 8, "0/8 stages", "red"],
    [1, 8, "1/8 stages", "orange"],
    [2, 8, "2/8 stages", "orange"],
    [3, 8, "3/8 stages", "yellow"],
    [4, 8, "4/8 stages", "yellow"],
    [5, 8, "5/8 stages", "yellowgreen"],
    [6, 8, "6/8 stages", "yellowgreen"],
    [7, 8, "7/8 stages", "green"],
    [8, 8, "complete", "brightgreen"],
    [0, 2, "0/2 stages", "red"],
    [1, 2, "1/2 stages", "yellow"],
    [2, 2, "complete", "brightgreen"],
    [0, 0, "0/0 stages", "red"],
  ])("%i of %i stages: %s, %s", (complete, total, message, color) => {
    expect(badgeOf(complete, total)).toEqual({ label: "roadmap", message, color });
  });

  it("never moves back towards red as stages are completed", () => {
    const order = ["red", "orange", "yellow", "yellowgreen", "green", "brightgreen"];
    const ranks = Array.from({ length: 9 }, (_, done) => order.indexOf(badgeColor(done, 8)));
    expect(ranks.every((rank, i) => rank >= 0 && (i === 0 || rank >= ranks[i - 1]!))).toBe(true);
  });

  it("the endpoint JSON follows the shields.io endpoint schema and nothing more", () => {
    const json = endpointJson(badgeOf(3, 8));
    expect(json).toEqual({ schemaVersion: 1, label: "roadmap", message: "3/8 stages", color: "yellow" });
    for (const key of ["label", "message", "color"] as const) expect(typeof json[key]).toBe("string");
  });
});

describe("stage states", () => {
  const completeStages = (progress: Progress, statuses?: Record<string, VerifiedStatus>) => {
    const report = buildReport(roadmap, progress, statuses && verdicts(statuses));
    return [report.rows.filter((r) => r.complete).map((r) => r.id), report.regressions.map((e) => e.id), report.unrecorded.map((e) => e.id)];
  };

  it.each<[string, Step[], Record<string, VerifiedStatus> | undefined, string[], string[], string[]]>([
    ["nothing done", [], undefined, [], [], []],
    ["recorded: basics done", [...basicsWork, pass("add-numbers")], undefined, ["basics"], [], []],
    ["recorded: a failed quiz keeps basics open", [tick("basics", "read-docs", "write-function"), quiz(false), pass("add-numbers")], undefined, [], [], []],
    ["recorded: half a checklist keeps basics open", [tick("basics", "read-docs"), quiz(true), pass("add-numbers")], undefined, [], [], []],
    ["recorded: advanced has no quiz", [...advancedWork, pass("greet")], undefined, ["advanced"], [], []],
    ["verified: recorded and passing now", [...basicsWork, pass("add-numbers")], { "add-numbers": "passed", greet: "failed" }, ["basics"], [], []],
    ["verified: recorded but failing now is a regression", [...basicsWork, pass("add-numbers")], { "add-numbers": "failed", greet: "failed" }, [], ["add-numbers"], []],
    ["verified: a timeout is no pass", [...basicsWork, pass("add-numbers")], { "add-numbers": "timeout", greet: "failed" }, [], ["add-numbers"], []],
    ["verified: a missing folder is no pass", [...advancedWork, pass("greet")], { "add-numbers": "failed", greet: "missing" }, [], ["greet"], []],
    ["verified: passing but not recorded counts", [...advancedWork], { "add-numbers": "failed", greet: "passed" }, ["advanced"], [], ["greet"]],
    ["verified: a pass without the checklist is not complete", [], { "add-numbers": "passed", greet: "passed" }, [], [], ["add-numbers", "greet"]],
    ["verified: both stages", [...basicsWork, ...advancedWork, pass("greet")], { "add-numbers": "passed", greet: "passed" }, ["basics", "advanced"], [], ["add-numbers"]],
  ])("%s", (_name, steps, statuses, complete, regressions, unrecorded) => {
    expect(completeStages(progressAfter(...steps), statuses)).toEqual([complete, regressions, unrecorded]);
  });

  it("keeps the learner's progress as it is", () => {
    const progress = progressAfter(...advancedWork, pass("greet"));
    const before = structuredClone(progress);
    buildReport(roadmap, progress, verdicts({ "add-numbers": "passed", greet: "failed" }));
    expect(progress).toEqual(before);
  });

  it("renders the table and the markdown summary", () => {
    const report = buildReport(roadmap, progressAfter(...basicsWork, pass("add-numbers"), ...advancedWork), verdicts({ "add-numbers": "passed", greet: "failed" }));
    expect(formatReportTable(report)).toEqual([
      "#  stage     checklist  quiz                exercises verified  state",
      "1  Basics    2/2        passed (best 100%)  1/1                 complete",
      "2  Advanced  1/1        -                   0/1                 in progress",
    ]);
    const markdown = markdownSummary(report);
    expect(markdown).toContain("## Roadmap progress: 1/2 stages");
    expect(markdown).toContain("| 1 | Basics | 2/2 | passed (best 100%) | 1/1 | complete |");
    expect(markdown).toContain("| 2 | Advanced | 1/1 | - | 0/1 | in progress |");
    expect(markdownSummary(buildReport(roadmap, progressAfter(pass("greet")), verdicts({ greet: "failed" })))).toContain(
      "**Recorded as passed, but failing now:** `greet`",
    );
  });
});

describe("the SVG badge (badge-maker)", () => {
  it.each([
    [3, 8, "roadmap: 3/8 stages", "#d8b800"],
    [0, 8, "roadmap: 0/8 stages", "#dd4343"],
    [8, 8, "roadmap: complete", "#4b0"],
  ])("%i of %i is valid SVG that says %j", async (complete, total, title, fill) => {
    const svg = await renderSvg(badgeOf(complete, total));
    expect(XMLValidator.validate(svg)).toBe(true);
    const root = new XMLParser({ ignoreAttributes: false }).parse(svg).svg;
    expect(root["@_xmlns"]).toBe("http://www.w3.org/2000/svg");
    expect(root.title).toBe(title);
    expect(svg).toContain(`fill="${fill}"`);
  });

  it("every format renders from one report", async () => {
    const report = buildReport(roadmap, progressAfter(...basicsWork, pass("add-numbers")));
    expect(JSON.parse(await renderBadge(report, "json"))).toEqual({ schemaVersion: 1, label: "roadmap", message: "1/2 stages", color: "yellow" });
    expect(await renderBadge(report, "markdown")).toContain("exercises passed");
    expect(await renderBadge(report, "svg")).toContain("1/2 stages");
  });
});
