// A known-wrong solution is stored as a patch against the reference solution (`wrong/<id>.diff`), so each one
// shows exactly the mistake it makes, and changing the solution cannot silently leave a stale copy behind.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyPatch, parsePatch } from "diff";
import { copyExerciseFiles } from "../content/files.js";
import type { Exercise } from "../content/model.js";
import { UserError } from "../errors.js";

export function wrongPatchFile(exercise: Exercise, wrongId: string): string {
  return join(exercise.dir, "wrong", `${wrongId}.diff`);
}

/** Applies a unified diff to files given by name; the names are those after `a/` and `b/` in its headers. */
export function applyWrongPatch(files: Map<string, string>, patch: string, where: string): Map<string, string> {
  const result = new Map(files);
  for (const filePatch of parsePatch(patch)) {
    const name = (filePatch.newFileName ?? filePatch.oldFileName ?? "").replace(/^[ab]\//, "");
    if (!name || name.split("/").includes("..")) throw new UserError(`${where}: a patch names no file or one outside the exercise ("${name}")`);
    const patched = applyPatch(result.get(name) ?? "", filePatch);
    if (patched === false) throw new UserError(`${where} no longer applies to solution/${name}: update it to the current solution`);
    result.set(name, patched);
  }
  return result;
}

/** Writes the wrong solution into `target`: the reference solution with the patch applied. */
export function materializeWrongSolution(exercise: Exercise, wrongId: string, target: string): void {
  const patchFile = wrongPatchFile(exercise, wrongId);
  const where = `exercises/${exercise.stageId}/${exercise.id}/wrong/${wrongId}.diff`;
  copyExerciseFiles(join(exercise.dir, "solution"), target);
  const patch = readFileSync(patchFile, "utf8");
  const names = parsePatch(patch).map((p) => (p.newFileName ?? p.oldFileName ?? "").replace(/^[ab]\//, ""));
  const originals = new Map(names.map((name) => [name, existsSync(join(target, name)) ? readFileSync(join(target, name), "utf8") : ""]));
  for (const [name, text] of applyWrongPatch(originals, patch, where)) {
    mkdirSync(dirname(join(target, name)), { recursive: true });
    writeFileSync(join(target, name), text);
  }
}
