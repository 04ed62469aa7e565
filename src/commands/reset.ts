import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadContent, requireWorkspace, resolveExercise, type GlobalOptions } from "../context.js";
import { copyExerciseFiles, refuseSymlinks } from "../content/files.js";
import { workspaceExerciseReadme } from "../workspace-files.js";
import { recordExerciseReset } from "../progress/model.js";
import { readProgress, updateProgress } from "../progress/store.js";
import { print, style } from "../ui/style.js";

/**
 * Restores an exercise's starter files and README; the learner's current folder is kept in .roadmap/backups/ first.
 * The exercise no longer counts as passed (the history keeps the pass and the reset), so `roadmap ci` does not
 * report the starter's failure as a regression.
 */
export async function reset(exerciseArg: string, options: GlobalOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const exercise = resolveExercise(roadmap, exerciseArg);
  // NOTE: read first: a corrupt progress file stops the reset before any file is touched.
  const wasPassed = Boolean((await readProgress(workspace)).exercises[exercise.id]?.passedAt);
  const target = join(workspace, exercise.stageId, exercise.id);
  refuseSymlinks(workspace, target);
  let backup: string | undefined;
  if (existsSync(target) && readdirSync(target).length > 0) {
    backup = join(workspace, ".roadmap", "backups", `${exercise.id}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
    mkdirSync(backup, { recursive: true });
    cpSync(target, backup, { recursive: true });
    for (const file of exercise.files) rmSync(join(target, file), { force: true });
  }
  copyExerciseFiles(join(exercise.dir, "starter"), target, { root: workspace });
  writeFileSync(join(target, "README.md"), workspaceExerciseReadme(exercise));
  await updateProgress(workspace, (p) => recordExerciseReset(p, exercise.id, new Date()));
  print(style.green(`${exercise.id}: starter files restored in ${relative(process.cwd(), target) || "."}`));
  if (backup) print(`Your previous files are in ${relative(process.cwd(), backup)}`);
  if (wasPassed) print(`${exercise.id} no longer counts as passed: solve it again and check it (roadmap check ${exercise.id}).`);
}
