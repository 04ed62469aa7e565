import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { copyExerciseFiles } from "../content/files.js";
import type { Exercise } from "../content/model.js";
import { UserError } from "../errors.js";
import { stripControl } from "../sanitize.js";
import { killMarked, runProcess, type RunResult, type RunSteps, type StartedProcess } from "./process.js";
import { exerciseOutcome, judgeListener, type JudgeReport, type TestResult } from "./results.js";

export interface VerifyJob {
  exercise: Exercise;
  /** The folder with the code to verify: the learner's exercise folder, starter/, solution/, or a made wrong solution. */
  sourceDir: string;
  /** Symbolic links in sourceDir are followed only to files inside this folder (the workspace); default sourceDir. */
  within?: string;
}

/** "tampered": the run cannot be trusted (learner code changed pytest, or the run ended before pytest finished). */
export type ExerciseStatus = "passed" | "failed" | "skipped" | "timeout" | "interrupted" | "tampered";

export interface ExerciseVerdict {
  exercise: Exercise;
  status: ExerciseStatus;
  tests: TestResult[];
  /** Why a run was judged tampered. */
  reason?: string;
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
  /** Called when the first test of an exercise has a result: for showing progress. */
  onExerciseStart?: (exerciseId: string) => void;
  /** A verifier process prepared and started for these very jobs (src/verify/warm.ts): it runs them instead of a new one. */
  warm?: WarmRun;
  /** Stop at the first failing test (pytest -x): for runs whose only question is whether anything fails. */
  exitFirst?: boolean;
  /** The tests a correct solution runs (recorded by dev check); a verdict passes only when exactly these pass. */
  expectedTests?: (exercise: Exercise) => readonly string[] | undefined;
  /** Runs a prepared run instead of a new process, or declines (src/verify/forkserver.ts, for authoring runs). */
  runner?: RunnerOfPrepared;
}

export interface RunnerOfPrepared {
  run(prepared: PreparedRun, steps: RunSteps): Promise<RunResult | undefined>;
}

export interface VerifyRun {
  verdicts: ExerciseVerdict[];
  /** pytest's own console output, bounded. */
  output: string;
  droppedBytes: number;
}

// Learner files that must never run as part of a verifier: their own tests and pytest configuration.
const NOT_COPIED = /^(?:__pycache__|\.pytest_cache|\.venv|venv|node_modules|\.git|tests|conftest\.py|pytest\.ini|test_.*\.py|.*_test\.py)$/;

/** A run's private folder holding fresh copies of the tool's tests, and how its pytest starts: all made before it does. */
export interface PreparedRun {
  stage: string;
  exercises: Exercise[];
  token: string;
  /** pytest's arguments (after `python -s -m pytest`). */
  args: string[];
  /** What the run adds to verifierEnv: where to report, the channel's token, the exercises' packages. */
  env: Record<string, string>;
}

/**
 * Makes a run's folder with each exercise's tests (the tool's copy, never the learner's) and the run's arguments,
 * token and environment; the code to verify goes in with `copySources`. `plugins` are added to the judge's.
 */
export function prepareRun(exercises: Exercise[], options: Pick<VerifyOptions, "strict" | "exitFirst">, plugins: string[] = []): PreparedRun {
  const ids = exercises.map((exercise) => exercise.id);
  if (new Set(ids).size !== ids.length) throw new Error("runVerifiers: one batch holds each exercise once");
  const stage = mkdtempSync(join(tmpdir(), "roadmap-verify-"));
  for (const exercise of exercises) {
    mkdirSync(join(stage, exercise.id));
    for (const test of testFiles(exercise)) cpSync(join(exercise.dir, "tests", test), join(stage, exercise.id, test));
  }
  return {
    stage,
    exercises,
    token: randomBytes(16).toString("hex"),
    args: [
      "-q", "-p", "no:cacheprovider", "-c", "/dev/null", `--rootdir=${stage}`, `--confcutdir=${stage}`,
      "-p", "roadmap_judge", "-p", "roadmap_pytest", ...plugins.flatMap((plugin) => ["-p", plugin]), "--continue-on-collection-errors",
      ...(options.exitFirst ? ["-x"] : []),
      ...ids.map((id) => join(stage, id)),
    ],
    env: {
      ROADMAP_STRICT: options.strict ? "1" : (process.env.ROADMAP_STRICT ?? ""),
      ROADMAP_REPORT: join(stage, "environment.json"),
      ROADMAP_STAGE: stage,
      ROADMAP_REQUIRES: JSON.stringify(Object.fromEntries(exercises.map((exercise) => [exercise.id, exercise.requires.python]))),
    },
  };
}

/** Puts each job's code to verify beside its tests; where a learner's file has a test file's name, the test wins. */
function copySources(run: PreparedRun, jobs: VerifyJob[]): void {
  for (const job of jobs) {
    const target = join(run.stage, job.exercise.id);
    copyExerciseFiles(job.sourceDir, target, { skip: (name) => NOT_COPIED.test(name), within: job.within });
    for (const test of testFiles(job.exercise)) {
      if (existsSync(join(job.sourceDir, test))) cpSync(join(job.exercise.dir, "tests", test), join(target, test));
    }
  }
}

const testFiles = (exercise: Exercise) => readdirSync(join(exercise.dir, "tests")).filter((name) => name.endsWith(".py"));

/** A verifier process started ahead of its run, waiting before collection (python/roadmap_warm.py; src/verify/warm.ts). */
export interface WarmRun {
  prepared: PreparedRun;
  process: StartedProcess;
}

/**
 * Runs the verifiers of several exercises in ONE pytest process: each exercise gets a folder of its own with the
 * code to verify and a fresh copy of the tool's tests (never the learner's copy). Module names are unique across a
 * roadmap, so exercises cannot import each other's code.
 */
export async function runVerifiers(jobs: VerifyJob[], options: VerifyOptions): Promise<VerifyRun> {
  const warm = options.warm;
  const prepared = warm?.prepared ?? prepareRun(jobs.map((job) => job.exercise), options);
  if (warm && prepared.exercises.map((e) => e.id).join("\0") !== jobs.map((job) => job.exercise.id).join("\0")) {
    warm.process.discard();
    rmSync(prepared.stage, { recursive: true, force: true });
    throw new Error("runVerifiers: a warm run serves the exercises it was prepared for");
  }
  const { stage, args, token } = prepared;
  try {
    copySources(prepared, jobs);
    const ids = jobs.map((job) => job.exercise.id);
    const judge = judgeListener(token);
    const started = new Set<string>();
    const steps = {
      timeoutMs: options.timeoutMs,
      onChannelLine: (line: string) => {
        judge.onLine(line);
        const last = judge.report().tests.at(-1);
        if (options.onExerciseStart && last && !started.has(last.exercise) && ids.includes(last.exercise)) {
          started.add(last.exercise);
          options.onExerciseStart(last.exercise);
        }
      },
      onAbort: () => rmSync(stage, { recursive: true, force: true }),
      whileRunning: options.whileRunning,
      // The judge's last line comes after every test and fixture teardown, and after it has ended what the tests
      // left running: the verdict is complete, and pytest's own teardown (its summary, unconfigure's garbage
      // collections, the interpreter's exit: 50-100 ms) is not waited for. With no test, the output says why.
      complete: () => judge.report().ended && judge.report().tests.length > 0,
    };
    const result = warm
      ? await warm.process.run({ ...steps, input: "go\n" })
      : ((await options.runner?.run(prepared, steps)) ??
        (await runProcess({
          file: options.python,
          // -s: no user site-packages (a `pip install --user` package could replace pytest itself); see verifierEnv.
          args: ["-s", "-m", "pytest", ...args],
          cwd: stage,
          env: runEnv(prepared, options.pluginDir),
          maxOutputBytes: options.maxOutputBytes,
          ...steps,
        })));
    if (result.startError) throw new UserError(`could not run ${options.python}: ${result.startError}`, 2, "Check the Python path, or run: roadmap doctor");
    if (result.interrupted || result.timedOut) {
      const status: ExerciseStatus = result.interrupted ? "interrupted" : "timeout";
      return { verdicts: jobs.map((job) => ({ exercise: job.exercise, status, tests: [] })), output: result.stdout, droppedBytes: result.droppedBytes };
    }
    checkEnvironment(prepared.env.ROADMAP_REPORT!, result, options.python, jobs);
    // Without the session's end, the judge did not end the run's descendants: find them by the run's marker.
    if (!judge.report().ended) killMarked(result.marker);
    const judged = withEarlyEnd(judge.report(), result);
    if (judged.tests.length === 0 && !judged.tampered) {
      throw new UserError(`pytest ran no test (exit ${result.exitCode}): ${lastLines(result.stderr || result.stdout)}`, 2);
    }
    return {
      verdicts: jobs.map((job) => {
        const { outcome, tests, reason } = exerciseOutcome(job.exercise.id, judged, options.expectedTests?.(job.exercise));
        return { exercise: job.exercise, status: outcome, tests, ...(reason ? { reason } : {}) };
      }),
      output: result.stdout,
      droppedBytes: result.droppedBytes,
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * What python/roadmap_preload.py needs to import ahead for an exercise: the learner's modules and packages
 * (`portfolio.py`, `app/main.py`), never imported before the run has the learner's files, and the tool's starter and
 * reference solution, whose imports a learner's code likely shares.
 */
export function preloadEnv(exercise: Exercise): Record<string, string> {
  return {
    ROADMAP_LEARNER_MODULES: [...new Set(exercise.files.map((file) => file.split("/")[0]!.replace(/\.py$/, "")))].join(","),
    ROADMAP_PRELOAD_SOURCES: [join(exercise.dir, "starter"), join(exercise.dir, "solution")].join(delimiter),
  };
}

/** The whole environment of a prepared run's pytest. */
export function runEnv(run: PreparedRun, pluginDir: string): NodeJS.ProcessEnv {
  return { ...verifierEnv(process.env, pluginDir), ...run.env, ROADMAP_CHANNEL_TOKEN: run.token };
}

/** A run whose judge never saw pytest's session end cannot be trusted, whatever it reported before. */
function withEarlyEnd(report: JudgeReport, result: { exitCode?: number; signal?: string }): JudgeReport {
  if (report.ended || report.tampered) return report;
  const how = result.signal ? `was killed by ${result.signal}` : `exited (code ${result.exitCode}) before pytest finished`;
  return { ...report, tampered: `the Python process ${how}: code that exits the interpreter (os._exit) or crashes it cannot be judged` };
}

// pytest settings from the environment would change what the verifier runs: PYTEST_ADDOPTS can deselect tests,
// PYTEST_PLUGINS and autoloaded plugins can rewrite results, PYTHONSTARTUP and PYTHONPATH can run code first.
const FOREIGN_PYTHON_SETTINGS = /^(?:PYTEST_.*|PYTHONSTARTUP|PYTHONPATH|PYTHONINSPECT|PYTHONUSERBASE)$/;

/** The environment every verifier runs in: the caller's, less whatever could change how pytest judges. */
export function verifierEnv(base: NodeJS.ProcessEnv, pluginDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(base).filter(([name]) => !FOREIGN_PYTHON_SETTINGS.test(name)));
  return { ...env, PYTHONPATH: pluginDir, PYTHONDONTWRITEBYTECODE: "1", PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1" };
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
  const environment = JSON.parse(readFileSync(report, "utf8")) as { python: number[]; missing: Record<string, string[]>; user_site_only?: string[] };
  const [major = 0, minor = 0] = environment.python;
  if (major < 3 || (major === 3 && minor < 10)) {
    throw new UserError(`${python} is Python ${environment.python.join(".")}; the exercises need 3.10 or newer.`, 2, "Install a newer Python, then run: roadmap setup");
  }
  const missing = [...new Set(Object.values(environment.missing).flat())];
  const userSiteOnly = environment.user_site_only ?? [];
  if (userSiteOnly.length) {
    throw new UserError(
      `${userSiteOnly.join(", ")} ${userSiteOnly.length === 1 ? "is" : "are"} installed only in your user site-packages (pip install --user), which verifiers do not load (they run python -s).`,
      2,
      `Install into the Python roadmap uses: ${python} -m pip install ${missing.join(" ")}   (or: roadmap setup)`,
    );
  }
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
  return stripControl(text).trim().split("\n").slice(-count).join(" | ").slice(0, 2000);
}
