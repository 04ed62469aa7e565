import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { loadContent, requireWorkspace, resolveExercise, type GlobalOptions } from "../context.js";
import { copyExerciseFiles, refuseSymlinks } from "../content/files.js";
import { print, style } from "../ui/style.js";

/** Restores an exercise's starter files; the learner's current folder is kept in .roadmap/backups/ first. */
export async function reset(exerciseArg: string, options: GlobalOptions): Promise<void> {
  const [roadmap, workspace] = await Promise.all([loadContent(options), requireWorkspace(options)]);
  const exercise = resolveExercise(roadmap, exerciseArg);
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
  print(style.green(`${exercise.id}: starter files restored in ${relative(process.cwd(), target) || "."}`));
  if (backup) print(`Your previous files are in ${relative(process.cwd(), backup)}`);
}
