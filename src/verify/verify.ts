import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyExerciseFiles } from "../content/files.js";
import type { Exercise } from "../content/model.js";
import { UserError } from "../errors.js";
import { runProcess } from "./process.js";
import type { TestResult } from "./results.js";

export interface VerifyJob {
  exercise: Exercise;
  /** The folder with the code to verify: the learner's exercise folder, starter/, solution/, or a made wrong solution. */
  sourceDir: string;
}

export type ExerciseStatus = "passed" | "failed" | "skipped" | "timeout" | "interrupted";

export interface ExerciseVerdict {
  exercise: Exercise;
  status: ExerciseStatus;
  tests: TestResult[];
}

export interface VerifyOptions {
  python: string;
  /** The tool's python/ folder (the roadmap_pytest plugin). */
  pluginDir: string;
  timeoutMs: number;
  maxOutputBytes?: number;
  /** ROADMAP_STRICT=1: a verifier that needs an absent service fails instead of skipping (CI). */
  strict?: boolean;
  /** Called once pytest has started: loading done here overlaps with its run. */
  whileRunning?: () => void;
  /**
   * Called when pytest starts an exercise's tests, read from its verbose output (so pytest runs with -v instead
   * of -q). For showing progress only: verdicts always come from the JUnit report.
   */
  onExerciseStart?: (exerciseId: string) => void;
}

export interface VerifyRun {
  verdicts: ExerciseVerdict[];
  /** pytest's own console output, bounded. */
  output: string;
  droppedBytes: number;
}

// Learner files that must never run as part of a verifier: their own tests and pytest configuration.
const NOT_COPIED = /^(?:__pycache__|\.pytest_cache|\.venv|venv|node_modules|\.git|tests|conftest\.py|pytest\.ini|test_.*\.py|.*_test\.py)$/;

/**
 * Runs the verifiers of several exercises in ONE pytest process: each exercise gets a folder of its own with the
 * code to verify and a fresh copy of the tool's tests (never the learner's copy). Module names are unique across a
 * roadmap, so exercises cannot import each other's code.
 */
export async function runVerifiers(jobs: VerifyJob[], options: VerifyOptions): Promise<VerifyRun> {
  const ids = jobs.map((job) => job.exercise.id);
  if (new Set(ids).size !== ids.length) throw new Error("runVerifiers: one batch holds each exercise once");
  const stage = mkdtempSync(join(tmpdir(), "roadmap-verify-"));
  try {
    for (const job of jobs) {
      const target = join(stage, job.exercise.id);
      copyExerciseFiles(job.sourceDir, target, { skip: (name) => NOT_COPIED.test(name) });
      for (const test of readdirSync(join(job.exercise.dir, "tests"))) {
        if (test.endsWith(".py")) cpSync(join(job.exercise.dir, "tests", test), join(target, test));
      }
    }
    const junit = join(stage, "junit.xml");
    const report = join(stage, "environment.json");
    // The JUnit parser loads while pytest runs, not before it starts.
    let results: Promise<typeof import("./results.js")> | undefined;
    const result = await runProcess({
      file: options.python,
      args: [
        "-m", "pytest", options.onExerciseStart ? "-v" : "-q", "-p", "no:cacheprovider", "-c", "/dev/null", `--rootdir=${stage}`,
        "-p", "roadmap_pytest", "--continue-on-collection-errors", "-o", "junit_family=xunit1", `--junitxml=${junit}`,
        ...jobs.map((job) => join(stage, job.exercise.id)),
      ],
      cwd: stage,
      env: {
        ...process.env,
        PYTHONPATH: [options.pluginDir, process.env.PYTHONPATH].filter(Boolean).join(":"),
        PYTHONDONTWRITEBYTECODE: "1",
        ROADMAP_STRICT: options.strict ? "1" : (process.env.ROADMAP_STRICT ?? ""),
        ROADMAP_REPORT: report,
        ROADMAP_REQUIRES: JSON.stringify(Object.fromEntries(jobs.map((job) => [job.exercise.id, job.exercise.requires.python]))),
      },
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      onOutput: options.onExerciseStart && exerciseStarts(ids, options.onExerciseStart),
      whileRunning: () => {
        results = import("./results.js");
        options.whileRunning?.();
      },
    });
    if (result.startError) throw new UserError(`could not run ${options.python}: ${result.startError}`, 2, "Check the Python path, or run: roadmap doctor");
    if (result.interrupted || result.timedOut) {
      const status: ExerciseStatus = result.interrupted ? "interrupted" : "timeout";
      return { verdicts: jobs.map((job) => ({ exercise: job.exercise, status, tests: [] })), output: result.stdout, droppedBytes: result.droppedBytes };
    }
    checkEnvironment(report, result, options.python, jobs);
    const { parseJunit } = await (results ?? import("./results.js"));
    const tests = existsSync(junit) ? parseJunit(readFileSync(junit, "utf8")) : [];
    if (tests.length === 0) {
      throw new UserError(`pytest ran no test (exit ${result.exitCode}): ${lastLines(result.stderr || result.stdout)}`, 2);
    }
    return {
      verdicts: jobs.map((job) => verdictOf(job.exercise, tests.filter((t) => t.exercise === job.exercise.id))),
      output: result.stdout,
      droppedBytes: result.droppedBytes,
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Follows pytest's verbose lines ("<exercise>/test_x.py::test_y PASSED") and reports each exercise once. */
function exerciseStarts(ids: string[], onStart: (exerciseId: string) => void): (chunk: string) => void {
  const waiting = new Set(ids);
  let partial = "";
  return (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const id = /^([^/\s]+)\/[^\s:]+\.py::/.exec(line)?.[1];
      if (id && waiting.delete(id)) onStart(id);
    }
  };
}

function verdictOf(exercise: Exercise, tests: TestResult[]): ExerciseVerdict {
  const outcomes = new Set(tests.map((t) => t.outcome));
  const status: ExerciseStatus =
    outcomes.has("failed") || outcomes.has("error") || tests.length === 0 ? "failed" : outcomes.has("skipped") ? "skipped" : "passed";
  return { exercise, status, tests };
}

/** Turns "pytest is missing" or "a package is missing" into one line that names the fix. */
function checkEnvironment(report: string, result: { exitCode?: number; stderr: string; stdout: string }, python: string, jobs: VerifyJob[]): void {
  if (!existsSync(report)) {
    const output = `${result.stderr}\n${result.stdout}`;
    if (/No module named pytest/.test(output)) {
      throw new UserError(`pytest is not installed for ${python}.`, 2, "Run: roadmap setup   (or: python -m pip install pytest)");
    }
    return;
  }
  const environment = JSON.parse(readFileSync(report, "utf8")) as { python: number[]; missing: Record<string, string[]> };
  const [major = 0, minor = 0] = environment.python;
  if (major < 3 || (major === 3 && minor < 10)) {
    throw new UserError(`${python} is Python ${environment.python.join(".")}; the exercises need 3.10 or newer.`, 2, "Install a newer Python, then run: roadmap setup");
  }
  const missing = [...new Set(Object.values(environment.missing).flat())];
  if (missing.length) {
    const which = jobs.length === 1 ? `${jobs[0]!.exercise.id} needs` : "the exercises need";
    throw new UserError(
      `${which} Python packages that ${python} does not have: ${missing.join(", ")}.`,
      2,
      `Run: roadmap setup   (or: ${python} -m pip install ${missing.join(" ")})`,
    );
  }
}

function lastLines(text: string, count = 3): string {
  return text.trim().split("\n").slice(-count).join(" | ");
}
