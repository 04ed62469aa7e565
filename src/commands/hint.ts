import { loadContent, requireWorkspace, resolveExercise, type GlobalOptions } from "../context.js";
import { UserError } from "../errors.js";
import { recordHintUsed } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { print, style } from "../ui/style.js";
import { currentExercise } from "./check.js";

/** Progressive hints: each run shows the hints seen so far plus one more, and saves how many were used. */
export async function hint(exerciseArg: string | undefined, options: GlobalOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const progress = await readProgress(workspace);
  const exercise = exerciseArg ? resolveExercise(roadmap, exerciseArg) : currentExercise(roadmap, progress);
  if (exercise.hints.length === 0) throw new UserError(`${exercise.id} has no hints.`, 2);
  const used = Math.min(exercise.hints.length, (progress.exercises[exercise.id]?.hintsUsed ?? 0) + 1);
  await updateProgress(workspace, (p) => recordHintUsed(p, exercise.id, used));

  print(style.bold(`Hints for ${exercise.id}: ${exercise.title}`));
  exercise.hints.slice(0, used).forEach((text, index) => {
    const line = `${index + 1}/${exercise.hints.length}  ${text}`;
    print(index === used - 1 ? line : style.dim(line));
  });
  if (used < exercise.hints.length) print(style.dim(`The next hint: roadmap hint ${exercise.id}`));
  else print(style.dim(`That was the last hint. Once it passes, the reference solution: roadmap solution ${exercise.id}`));
}
