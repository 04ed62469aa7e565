import { watch as watchFiles, type FSWatcher } from "node:fs";
import { basename, isAbsolute, join, relative } from "node:path";
import { loadContent, requireWorkspace, resolveExercise } from "../context.js";
import { hintForFailure } from "../content/hints.js";
import { findStage, type Exercise, type Roadmap } from "../content/model.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { overallShare, summarizeStage } from "../plan.js";
import { markExercisePassed, recordHintUsed, type Progress } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { requireTrustedRoadmap } from "../trust.js";
import { runnableHere } from "../ui/command.js";
import { requireInteractive } from "../ui/prompts.js";
import { style } from "../ui/style.js";
import { formatVerdict } from "../ui/verify-format.js";
import { frame, hintPointer, renderWatchScreen, type WatchScreen } from "../ui/watch-screen.js";
import type { ExerciseVerdict } from "../verify/verify.js";
import { discardWarmVerifier } from "../verify/warm.js";
import { currentExercise, timeoutSeconds, verifyInWorkspace, type VerifyCommandOptions } from "./check.js";

// Editors write a file in bursts (truncate, write, rename) that take a few milliseconds: wait this long after the
// last event, then check. Every millisecond here is one the learner waits for each verdict; an event after the check
// started queues one more check, so a slow burst costs a re-run, never a stale verdict.
const DEBOUNCE_MS = 20;
const IGNORED_FOLDERS = /(^|[\\/])(__pycache__|\.pytest_cache|\.venv|\.git)([\\/]|$)/;

/**
 * Files an editor writes beside the one being edited, which are no save of the learner's code: vim's swap files
 * (.swp, .swo, ... .swa, and .swx) and its `4913` write probe, `~` backups, emacs's `.#name` lock links and
 * `#name#` auto-saves; and folders that only tools write to.
 */
export function isIgnoredChange(name: string): boolean {
  if (IGNORED_FOLDERS.test(name)) return true;
  const file = basename(name);
  return /\.sw[a-px]$/.test(file) || file.endsWith("~") || file === "4913" || file.startsWith(".#") || /^#.*#$/.test(file);
}

/** Re-runs the current exercise's check on every save; a pass is recorded and the next exercise follows. */
export async function watch(exerciseArg: string | undefined, options: VerifyCommandOptions): Promise<void> {
  timeoutSeconds(options); // a bad --timeout is a usage error, said before anything else
  // Keys come from a terminal; the screen may go to a pipe (`roadmap watch | tee log`), then it is appended as text.
  if (!process.stdin.isTTY) requireInteractive("Watch mode", `roadmap check ${exerciseArg ?? "[exercise]"}`);
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  // Read even when the exercise is named, so a corrupt progress file stops watch before any verifier runs.
  let progress = await readProgress(workspace);
  let exercise = exerciseArg ? resolveExercise(roadmap, exerciseArg) : currentExercise(roadmap, progress);
  await requireTrustedRoadmap(options);
  // Redrawing needs a terminal and one that understands its control sequences; otherwise the screen is appended.
  const terminal = Boolean(process.stdout.isTTY) && process.env.TERM !== "dumb";
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let runs = 0;
  let screen: WatchScreen;
  let lastVerdict: ExerciseVerdict | undefined;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  let stopped = false;
  const draw = (changes: Partial<WatchScreen> = {}) => {
    if (stopped) return; // a verifier that ends after q must not redraw over the shell
    screen = { ...screen, ...changes, ...standing(roadmap, progress, exercise) };
    process.stdout.write(runnableHere(frame(renderWatchScreen(screen, terminal ? process.stdout.rows : undefined), terminal)));
  };

  const follow = (next: Exercise, notice?: string) => {
    exercise = next;
    lastVerdict = undefined;
    watcher?.close();
    const dir = join(workspace, exercise.stageId, exercise.id);
    try {
      watcher = watchFiles(dir, { recursive: true }, (_event, name) => {
        if (name && isIgnoredChange(name)) return;
        clearTimeout(timer);
        timer = setTimeout(runCheck, DEBOUNCE_MS);
      });
    } catch {
      watcher = undefined; // a missing folder: the check below says so, and how to restore it
    }
    const fromHere = relative(process.cwd(), dir);
    screen = {
      exercise: { id: exercise.id, title: exercise.title },
      folder: fromHere && !fromHere.startsWith("..") && !isAbsolute(fromHere) ? fromHere : dir,
      files: exercise.files,
      ...standing(roadmap, progress, exercise),
      verdict: { state: "waiting" },
      notice,
    };
    void runCheck();
  };

  const runCheck = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    const checking = exercise;
    const run = ++runs;
    try {
      draw({ verdict: { state: "checking", run } });
      const verdict = await verifyInWorkspace(roadmap, workspace, checking, options, true);
      if (stopped) return;
      // Hints may have been taken meanwhile (`roadmap hint` in another terminal): the pointer counts them.
      progress = await readProgress(workspace);
      if (checking !== exercise) return; // the learner moved on (n) while it ran: the finally block checks the new one
      lastVerdict = verdict;
      const lines = formatVerdict(verdict, timeoutSeconds(options));
      const done = { state: "done", run, at: new Date(), lines, passed: verdict.status === "passed" } as const;
      if (verdict.status === "passed") {
        progress = await updateProgress(workspace, (p) => markExercisePassed(p, checking.id, new Date()));
        moveOn(style.green(`Recorded: ${checking.id} passes.`) + ` ${lines[0] ?? ""}`);
      } else {
        draw({ verdict: done, notice: undefined, hint: verdict.status === "failed" ? pointer(verdict) : undefined });
      }
    } catch (error) {
      const hint = error instanceof UserError && error.hint ? [style.dim(error.hint)] : [];
      draw({ verdict: { state: "done", run, at: new Date(), lines: [style.red((error as Error).message), ...hint], passed: false } });
    } finally {
      running = false;
      if (!stopped && (again || checking !== exercise)) {
        again = false;
        void runCheck();
      }
    }
  };

  /** The hint pointer after a failure, aimed at the first failing rule (in the README's order) where a hint names it. */
  const pointer = (verdict: ExerciseVerdict): string[] => {
    const used = progress.exercises[exercise.id]?.hintsUsed ?? 0;
    return hintPointer(exercise.id, exercise.hints.length, used, hintForFailure(exercise, verdict.tests, used));
  };

  const moveOn = (notice: string) => {
    let next: Exercise;
    try {
      next = currentExercise(roadmap, progress);
    } catch {
      draw({ notice, verdict: { state: "waiting" }, hint: undefined, shownHint: undefined });
      process.stdout.write(style.green.bold("Every exercise passes. Well done!") + "\n");
      finish(ExitCode.ok);
      return;
    }
    follow(next, notice);
  };

  const showHint = async () => {
    progress = await readProgress(workspace);
    const used = progress.exercises[exercise.id]?.hintsUsed ?? 0;
    const total = exercise.hints.length;
    if (total === 0) return draw({ shownHint: [`${exercise.id} has no hints.`] });
    const aimed = lastVerdict?.status === "failed" ? hintForFailure(exercise, lastVerdict.tests, used) : undefined;
    // The hint written for the broken rule if the learner has not seen it, else the next one in line.
    const index = aimed && aimed.index >= used ? aimed.index : used < total ? used : (aimed?.index ?? total - 1);
    progress = await updateProgress(workspace, (p) => recordHintUsed(p, exercise.id, index + 1));
    const about = aimed?.index === index ? ` (for rule ${aimed.rule})` : "";
    draw({
      shownHint: [style.bold(`Hint ${index + 1}/${total}${about}:`), exercise.hints[index]!],
      hint: lastVerdict?.status === "failed" ? pointer(lastVerdict) : undefined,
    });
  };

  const onKey = async (key: string) => {
    if (key === "q") finish(ExitCode.ok);
    else if (key === "\u0003") finish(ExitCode.interrupted);
    else if (key === "h") await showHint();
    else if (key === "r") watcher ? void runCheck() : follow(exercise); // r after a `roadmap reset` of a missing folder watches it again
    else if (key === "n") {
      progress = await readProgress(workspace);
      const ids = [...roadmap.exercises.keys()];
      const after = ids.slice(ids.indexOf(exercise.id) + 1).concat(ids).find((id) => id !== exercise.id && !progress.exercises[id]?.passedAt);
      if (after) follow(roadmap.exercises.get(after)!);
    }
  };
  process.stdin.setRawMode(true);
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (key: string) => void onKey(key).catch((error: Error) => draw({ notice: style.red(error.message) })));
  // A prompt answered just before (`roadmap next` asking "Start now?") leaves stdin paused.
  process.stdin.resume();
  const redraw = () => draw();
  if (terminal) process.stdout.on("resize", redraw);

  follow(exercise);
  const code = await finished;
  stopped = true;
  discardWarmVerifier();
  watcher?.close();
  clearTimeout(timer);
  process.stdout.off("resize", redraw);
  process.stdin.setRawMode(false);
  process.stdin.pause();
  // NOTE: the one process.exit outside main.ts. q while a verifier runs must not wait out its run (up to the
  // timeout) and a verifier cannot be cancelled from here; exiting fires process.ts's exit hook, which kills the
  // verifier's process tree, as main's own Ctrl+C exit does.
  if (running) process.exit(code);
  if (code !== ExitCode.ok) throw new ExitError(code);
}

/** The exercise's place in its stage and in the roadmap, as `roadmap status` counts them. */
function standing(roadmap: Roadmap, progress: Progress, exercise: Exercise): Pick<WatchScreen, "stage" | "overall"> {
  const summaries = roadmap.stages.map((stage) => summarizeStage(roadmap, progress, stage));
  const own = findStage(roadmap, exercise.stageId);
  const summary = summaries.find((s) => s.stage === own);
  return {
    stage: { title: own?.title ?? exercise.stageId, passed: summary?.exercises.passed ?? 0, total: summary?.exercises.total ?? 0 },
    overall: overallShare(summaries),
  };
}

