import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, resolve } from "node:path";
import { appendStepSummary, writeBadgeFiles } from "../ci/files.js";
import { buildReport, formatReportTable, type ProgressReport, type VerifiedStatus } from "../ci/report.js";
import type { Roadmap } from "../content/model.js";
import { loadContent, requireWorkspace } from "../context.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { packageRoot } from "../package-info.js";
import type { Progress } from "../progress/model.js";
import { readProgress } from "../progress/store.js";
import { requireTrustedRoadmap } from "../trust.js";
import { print, printError, style } from "../ui/style.js";
import { formatVerdict } from "../ui/verify-format.js";
import { runBatches, splitEvenly } from "../verify/batches.js";
import { findPython } from "../verify/python.js";
import type { ExerciseVerdict, VerifyJob } from "../verify/verify.js";
import { recordedTests, timeoutSeconds, type VerifyCommandOptions } from "./check.js";

export interface VerifyAllOptions extends VerifyCommandOptions {
  /** pytest processes to split the exercises across, run at once. */
  jobs?: string;
}

export interface CiOptions extends VerifyAllOptions {
  out?: string;
}

/** Where `roadmap ci` writes the badge, inside the workspace (ignored by the workspace's .gitignore). */
export const DEFAULT_BADGE_DIR = join(".roadmap", "badge");

export function batchCount(options: VerifyAllOptions): number {
  if (options.jobs === undefined) return availableParallelism();
  const jobs = Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a whole number of at least 1, not "${options.jobs}"`);
  return jobs;
}

/**
 * Re-runs every exercise's verifier on the workspace's code, in as few pytest processes as there are batches
 * (each exercise in a folder of its own, so batching keeps them apart), and reports stage states from the
 * verdicts and the committed progress. Progress lines go to stderr so stdout can carry a badge.
 */
export async function verifyAll(
  roadmap: Roadmap,
  workspace: string,
  progress: Progress,
  options: VerifyAllOptions,
): Promise<{ report: ProgressReport; verdicts: Map<string, ExerciseVerdict> }> {
  await requireTrustedRoadmap(options);
  const statuses = new Map<string, VerifiedStatus>();
  const jobs: VerifyJob[] = [];
  for (const exercise of roadmap.exercises.values()) {
    const sourceDir = join(workspace, exercise.stageId, exercise.id);
    if (existsSync(sourceDir)) jobs.push({ exercise, sourceDir, within: workspace });
    else statuses.set(exercise.id, "missing");
  }
  const verdicts = new Map<string, ExerciseVerdict>();
  if (jobs.length) {
    const { readSettings } = await import("../settings.js");
    const python = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON, workspace, setting: readSettings().python }).path;
    const groups = splitEvenly(jobs, batchCount(options));
    const seconds = timeoutSeconds(options);
    const total = jobs.length;
    let done = 0;
    printError(style.dim(`Verifying ${total} exercises in ${groups.length} pytest process${groups.length === 1 ? "" : "es"} with ${python}`));
    const started = new Map<number, number>();
    const announced = new Set<string>();
    const batchOf = new Map(groups.flatMap((group, index) => group.map((job) => [job.exercise.id, index] as const)));
    const tag = (index: number) => `[${index + 1}/${groups.length}]`;
    const runs = await runBatches(groups, {
      python,
      pluginDir: join(packageRoot, "python"),
      // NOTE: a batch may take each of its exercises' timeout, up to 5 minutes (all 28 bundled ones take seconds);
      // a batch that runs out is re-run one exercise at a time, so a hanging one costs time, never a wrong verdict.
      timeoutMs: seconds * 1000 * Math.min(Math.max(...groups.map((g) => g.length)), Math.max(1, Math.floor(300 / seconds))),
      singleTimeoutMs: seconds * 1000,
      // The badge must not count an exercise whose service is missing: it fails instead of being skipped.
      strict: true,
      expectedTests: recordedTests,
      parallel: groups.length,
      onExerciseStart: (id) => {
        // A batch re-run after a timeout starts its exercises again: say each once.
        if (announced.has(id)) return;
        announced.add(id);
        printError(`${tag(batchOf.get(id) ?? 0)} ${id} (${announced.size} of ${total})`);
      },
      onBatchStart: (index, batch) => {
        started.set(index, Date.now());
        printError(style.dim(`${tag(index)} started: ${batch.length} exercise${batch.length === 1 ? "" : "s"}`));
      },
      onBatchDone: (index, batchVerdicts) => {
        done += batchVerdicts.length;
        const passed = batchVerdicts.filter((v) => v.status === "passed").length;
        const took = ((Date.now() - (started.get(index) ?? Date.now())) / 1000).toFixed(1);
        printError(`${tag(index)} done: ${passed} of ${batchVerdicts.length} pass (${took} s); ${done} of ${total} exercises verified`);
      },
    });
    for (const verdict of runs.flat()) {
      if (verdict.status === "interrupted") throw new ExitError(ExitCode.interrupted);
      verdicts.set(verdict.exercise.id, verdict);
      statuses.set(verdict.exercise.id, verdict.status);
    }
  }
  return { report: buildReport(roadmap, progress, statuses), verdicts };
}

/** Lines naming every regression (with the failing checks) and every pass that progress does not record. */
export function describeFindings(report: ProgressReport, verdicts: Map<string, ExerciseVerdict>, timeout: number): string[] {
  const lines: string[] = [];
  for (const exercise of report.regressions) {
    lines.push(style.red(`REGRESSION ${exercise.id}: progress records it as passed, but its verifier does not pass now.`));
    const verdict = verdicts.get(exercise.id);
    if (verdict) lines.push(...formatVerdict(verdict, timeout).map((line) => `  ${line}`));
    else lines.push(`  ${join(exercise.stageId, exercise.id)}/ is missing from the workspace.`);
  }
  if (report.unrecorded.length) {
    const ids = report.unrecorded.map((e) => e.id);
    lines.push(`Verified but not recorded in progress (counted as verified): ${ids.join(", ")}. Record a pass with: roadmap check ${ids[0]}`);
  }
  return lines;
}

/** `roadmap ci`: the badge from the committed code and progress; exit 1 when a recorded pass fails now. */
export async function ci(options: CiOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  // Read first: a corrupt progress file stops the run (exit 2) before any verifier runs.
  const progress = await readProgress(workspace);
  const { report, verdicts } = await verifyAll(roadmap, workspace, progress, options);

  for (const line of formatReportTable(report)) print(line);
  for (const line of describeFindings(report, verdicts, timeoutSeconds(options))) print(line);
  const out = options.out ? resolve(options.cwd ?? process.cwd(), options.out) : join(workspace, DEFAULT_BADGE_DIR);
  const written = await writeBadgeFiles(out, report);
  if (process.env.GITHUB_STEP_SUMMARY) appendStepSummary(process.env.GITHUB_STEP_SUMMARY, report);
  print(`${report.complete}/${report.total} stages complete. Wrote ${written.map((file) => relative(options.cwd ?? process.cwd(), file) || file).join(", ")}`);
  if (report.regressions.length) {
    print(style.red(`${report.regressions.length} exercise(s) recorded as passed fail now: ${report.regressions.map((e) => e.id).join(", ")}`));
    throw new ExitError(ExitCode.failed);
  }
}
