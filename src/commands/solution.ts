import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContent, requireWorkspace, resolveExercise, type GlobalOptions } from "../context.js";
import { learnerPath, listExerciseFiles } from "../content/files.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { isExercisePassed } from "../plan.js";
import { recordSolutionViewed } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { confirm, isInteractive } from "../ui/prompts.js";
import { print, style } from "../ui/style.js";

export interface SolutionOptions extends GlobalOptions {
  yes?: boolean;
}

/** The reference solution: freely once the exercise passes, otherwise only after saying yes (and it is recorded). */
export async function solution(exerciseArg: string, options: SolutionOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const exercise = resolveExercise(roadmap, exerciseArg);
  if (!isExercisePassed(await readProgress(workspace), exercise.id) && !options.yes) {
    const question = `${exercise.id} does not pass yet. Seeing the solution now is recorded in your progress. Show it?`;
    if (!isInteractive()) {
      throw new UserError(`${exercise.id} does not pass yet, so its solution is not shown.`, 2, `To see it anyway (it is recorded): roadmap solution ${exercise.id} --yes`);
    }
    if (!(await confirm(question, false))) throw new ExitError(ExitCode.ok);
  }
  await updateProgress(workspace, (p) => recordSolutionViewed(p, exercise.id, new Date()));
  const dir = join(exercise.dir, "solution");
  for (const file of listExerciseFiles(dir, (name) => name === "__pycache__")) {
    print(style.bold(`── ${learnerPath(file)} ──`));
    print(readFileSync(join(dir, file), "utf8").trimEnd());
    print();
  }
}
