import { watch as watchFiles, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { loadContent, requireWorkspace, resolveExercise } from "../context.js";
import type { Exercise } from "../content/model.js";
import { ExitCode, ExitError } from "../errors.js";
import { markExercisePassed, type Progress } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { requireTrustedRoadmap } from "../trust.js";
import { requireInteractive } from "../ui/prompts.js";
import { print, style } from "../ui/style.js";
import { formatVerdict } from "../ui/verify-format.js";
import { discardWarmVerifier } from "../verify/warm.js";
import { currentExercise, timeoutSeconds, verifyInWorkspace, type VerifyCommandOptions } from "./check.js";

// Editors write a file in bursts (truncate, write, rename): wait this long after the last event, then check.
const DEBOUNCE_MS = 40;
const IGNORED = /(^|\/)(__pycache__|\.pytest_cache|\.venv)(\/|$)|\.swp$|~$/;

/** Re-runs the current exercise's check on every save; a pass is recorded and the next exercise follows. */
export async function watch(exerciseArg: string | undefined, options: VerifyCommandOptions): Promise<void> {
  timeoutSeconds(options); // a bad --timeout is a usage error, said before anything else
  requireInteractive("Watch mode", `roadmap check ${exerciseArg ?? "[exercise]"}`);
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  // Read even when the exercise is named, so a corrupt progress file stops watch before any verifier runs.
  const saved = await readProgress(workspace);
  let exercise = exerciseArg ? resolveExercise(roadmap, exerciseArg) : currentExercise(roadmap, saved);
  await requireTrustedRoadmap(options);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const follow = (next: Exercise) => {
    exercise = next;
    watcher?.close();
    const dir = join(workspace, exercise.stageId, exercise.id);
    watcher = watchFiles(dir, { recursive: true }, (_event, name) => {
      if (name && IGNORED.test(name)) return;
      clearTimeout(timer);
      timer = setTimeout(runCheck, DEBOUNCE_MS);
    });
    print(style.bold(`\nWatching ${exercise.id}: ${exercise.title}`));
    print(style.dim(`Edit ${exercise.files.join(", ")} in ${dir} and save. Keys: h hint · n next exercise · q quit`));
  };

  const runCheck = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      print(style.dim(`\n${new Date().toLocaleTimeString()} checking ${exercise.id} ...`));
      const verdict = await verifyInWorkspace(roadmap, workspace, exercise, options, true);
      for (const line of formatVerdict(verdict, timeoutSeconds(options))) print(line);
      if (verdict.status === "passed") {
        const progress = await updateProgress(workspace, (p) => markExercisePassed(p, exercise.id, new Date()));
        print(style.green(`Recorded: ${exercise.id} passes.`));
        moveOn(progress);
      }
    } catch (error) {
      print(style.red((error as Error).message));
    } finally {
      running = false;
      if (again) {
        again = false;
        void runCheck();
      }
    }
  };

  const moveOn = (progress: Progress) => {
    try {
      follow(currentExercise(roadmap, progress));
    } catch {
      print(style.green.bold("Every exercise passes. Well done!"));
      finish(ExitCode.ok);
    }
  };

  const onKey = async (key: string) => {
    if (key === "q") finish(ExitCode.ok);
    else if (key === "\u0003") finish(ExitCode.interrupted);
    else if (key === "h") await (await import("./hint.js")).hint(exercise.id, options);
    else if (key === "n") {
      const progress = await readProgress(workspace);
      const ids = [...roadmap.exercises.keys()];
      const after = ids.slice(ids.indexOf(exercise.id) + 1).concat(ids).find((id) => id !== exercise.id && !progress.exercises[id]?.passedAt);
      if (after) follow(roadmap.exercises.get(after)!);
    }
  };
  process.stdin.setRawMode(true);
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (key: string) => void onKey(key));
  // A prompt answered just before (`roadmap next` asking "Start now?") leaves stdin paused.
  process.stdin.resume();

  follow(exercise);
  void runCheck();
  const code = await finished;
  discardWarmVerifier();
  watcher?.close();
  clearTimeout(timer);
  process.stdin.setRawMode(false);
  process.stdin.pause();
  if (code !== ExitCode.ok) throw new ExitError(code);
}
