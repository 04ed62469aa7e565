import { loadContent, requireWorkspace, resolveExercise, type GlobalOptions } from "../context.js";
import { pickHint } from "../content/hints.js";
import { UserError } from "../errors.js";
import { recordHintUsed } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { print, style } from "../ui/style.js";
import { currentExercise } from "./check.js";

export interface HintOptions extends GlobalOptions {
  /** Show the hint written for this rule (a failing check names it) instead of the next one in line. */
  rule?: string;
}

/**
 * Progressive hints: each run shows the hints seen so far plus one more, and saves how many were used. With
 * --rule, the one more is the hint aimed at that rule, and every hint before it counts as seen.
 */
export async function hint(exerciseArg: string | undefined, options: HintOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const progress = await readProgress(workspace);
  const exercise = exerciseArg ? resolveExercise(roadmap, exerciseArg) : currentExercise(roadmap, progress);
  if (exercise.hints.length === 0) throw new UserError(`${exercise.id} has no hints.`, 2);
  const { rule } = options;
  if (rule !== undefined && !exercise.rules.some((r) => r.id === rule)) {
    throw new UserError(`${exercise.id} has no rule "${rule}"; its rules: ${exercise.rules.map((r) => r.id).join(", ") || "none"}.`, 2);
  }
  const seen = progress.exercises[exercise.id]?.hintsUsed ?? 0;
  const shown = pickHint(exercise, seen, rule);
  const used = Math.max(seen, shown.index + 1);
  await updateProgress(workspace, (p) => recordHintUsed(p, exercise.id, used));

  print(style.bold(`Hints for ${exercise.id}: ${exercise.title}`));
  if (rule !== undefined && !shown.aimed) print(style.dim(`No hint is written for rule ${rule}; the next one in line:`));
  exercise.hints.slice(0, used).forEach((text, index) => {
    const line = `${index + 1}/${exercise.hints.length}  ${text}`;
    print(index === shown.index ? line + (shown.aimed ? style.dim(`  (for rule ${rule})`) : "") : style.dim(line));
  });
  if (used < exercise.hints.length) print(style.dim(`The next hint: roadmap hint ${exercise.id}`));
  else print(style.dim(`That was the last hint. Once it passes, the reference solution: roadmap solution ${exercise.id}`));
}
