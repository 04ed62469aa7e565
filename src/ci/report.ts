// The progress badge, pure: stage states from progress (and, in CI, from verifier verdicts), the badge's text and
// colour, the shields.io endpoint JSON and the markdown summary. badge-maker and file writing live at the edges.
import type { Exercise, Roadmap } from "../content/model.js";
import { isExercisePassed, summarizeStage } from "../plan.js";
import type { Progress } from "../progress/model.js";
import type { ExerciseStatus } from "../verify/verify.js";

/** What re-running an exercise's verifier said; "missing" when its folder is not in the workspace. */
export type VerifiedStatus = ExerciseStatus | "missing";

export interface StageRow {
  order: number;
  id: string;
  title: string;
  checklist: { done: number; total: number };
  /** null: the stage has no quiz. */
  quiz: { passed: boolean; best: number | null } | null;
  exercises: { done: number; total: number };
  /** Something was done in the stage: its lesson read, an item ticked, a quiz taken, an exercise worked on or passing. */
  started: boolean;
  complete: boolean;
}

export interface ProgressReport {
  /** "verified": exercises count only when their verifier passes now; "recorded": as progress records them. */
  source: "verified" | "recorded";
  rows: StageRow[];
  complete: number;
  total: number;
  /** Recorded as passed, but the verifier does not pass them now. */
  regressions: Exercise[];
  /** The verifier passes them now, but progress does not record a pass. They count as verified. */
  unrecorded: Exercise[];
}

export interface Badge {
  label: string;
  message: string;
  color: string;
}

/** The shields.io endpoint schema: https://shields.io/badges/endpoint-badge */
export interface EndpointJson extends Badge {
  schemaVersion: 1;
}

/**
 * Stage states. Without verdicts, exercises count as progress records them (`roadmap badge`). With verdicts
 * (`roadmap ci`), an exercise counts only when its verifier passes now, recorded or not.
 */
export function buildReport(roadmap: Roadmap, progress: Progress, verdicts?: ReadonlyMap<string, VerifiedStatus>): ProgressReport {
  const exercises = [...roadmap.exercises.values()];
  const verifiedNow = (e: Exercise) => verdicts?.get(e.id) === "passed";
  const regressions = verdicts ? exercises.filter((e) => isExercisePassed(progress, e.id) && !verifiedNow(e)) : [];
  const unrecorded = verdicts ? exercises.filter((e) => !isExercisePassed(progress, e.id) && verifiedNow(e)) : [];
  const counted = verdicts ? withPasses(progress, exercises.filter(verifiedNow)) : progress;
  const rows = roadmap.stages.map((stage): StageRow => {
    const s = summarizeStage(roadmap, counted, stage);
    // A recorded pass that fails now (a regression) was still work done in the stage.
    const started = s.started || (counted !== progress && summarizeStage(roadmap, progress, stage).started);
    return {
      order: stage.order,
      id: stage.id,
      title: stage.title,
      checklist: s.checklist,
      quiz: s.quiz.questions ? { passed: s.quiz.passed, best: s.quiz.best } : null,
      exercises: { done: s.exercises.passed, total: s.exercises.total },
      started,
      complete: s.complete,
    };
  });
  return {
    source: verdicts ? "verified" : "recorded",
    rows,
    complete: rows.filter((r) => r.complete).length,
    total: rows.length,
    regressions,
    unrecorded,
  };
}

/**
 * Progress whose exercise passes are exactly the given exercises (everything else kept as it is), so stage
 * completion is summarizeStage's one rule. It is never saved: "verified" stands in for a time it does not know.
 */
function withPasses(progress: Progress, passing: Exercise[]): Progress {
  const ids = new Set(passing.map((e) => e.id));
  const exercises: Progress["exercises"] = {};
  for (const [id, entry] of Object.entries(progress.exercises)) {
    const { passedAt, ...rest } = entry;
    exercises[id] = ids.has(id) ? { ...rest, passedAt: passedAt ?? "verified" } : rest;
  }
  for (const id of ids) exercises[id] ??= { hintsUsed: 0, history: [], passedAt: "verified" };
  return { ...progress, exercises };
}

/** Red with nothing done, through orange, yellow and yellow-green, to bright green when every stage is. */
export function badgeColor(complete: number, total: number): string {
  if (total > 0 && complete >= total) return "brightgreen";
  const share = total > 0 ? complete / total : 0;
  if (share === 0) return "red";
  if (share <= 0.25) return "orange";
  if (share <= 0.5) return "yellow";
  if (share <= 0.75) return "yellowgreen";
  return "green";
}

export function badgeOf(complete: number, total: number): Badge {
  const message = total > 0 && complete >= total ? "complete" : `${complete}/${total} stages`;
  return { label: "roadmap", message, color: badgeColor(complete, total) };
}

export function endpointJson(badge: Badge): EndpointJson {
  return { schemaVersion: 1, label: badge.label, message: badge.message, color: badge.color };
}

function quizCell(row: StageRow): string {
  if (!row.quiz) return "-";
  const best = row.quiz.best === null ? "" : ` (best ${Math.round(row.quiz.best * 100)}%)`;
  return `${row.quiz.passed ? "passed" : "not yet"}${best}`;
}

function cells(row: StageRow): string[] {
  return [
    String(row.order),
    row.title,
    `${row.checklist.done}/${row.checklist.total}`,
    quizCell(row),
    `${row.exercises.done}/${row.exercises.total}`,
    row.complete ? "complete" : row.started ? "in progress" : "not started",
  ];
}

function headers(report: ProgressReport): string[] {
  return ["#", "stage", "checklist", "quiz", report.source === "verified" ? "exercises verified" : "exercises passed", "state"];
}

/** The per-stage table as aligned plain text, for the terminal and CI logs. */
export function formatReportTable(report: ProgressReport): string[] {
  const table = [headers(report), ...report.rows.map(cells)];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  return table.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
}

/** Markdown for a README, a pull request or GitHub's job summary. */
export function markdownSummary(report: ProgressReport): string {
  const badge = badgeOf(report.complete, report.total);
  const lines = [
    `## Roadmap progress: ${badge.message}`,
    "",
    report.source === "verified"
      ? "Exercises count only when their verifier passes on this commit; checklist and quiz come from `.roadmap/progress.json`."
      : "As recorded in `.roadmap/progress.json` (exercises not re-verified).",
    "",
    `| ${headers(report).join(" | ")} |`,
    `| ${headers(report).map((h) => (h === "#" ? "---:" : "---")).join(" | ")} |`,
    ...report.rows.map((row) => `| ${cells(row).map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`),
  ];
  if (report.regressions.length) {
    lines.push("", "**Recorded as passed, but failing now:** " + report.regressions.map((e) => `\`${e.id}\``).join(", "));
  }
  if (report.unrecorded.length) {
    lines.push("", "Passing but not recorded in progress (counted as verified): " + report.unrecorded.map((e) => `\`${e.id}\``).join(", "));
  }
  return lines.join("\n") + "\n";
}
