import { lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { loadContent, type GlobalOptions } from "../context.js";
import { copyExerciseFiles, learnerPath, listExerciseFiles, refuseSymlinks } from "../content/files.js";
import { exerciseReadme } from "../content/readme.js";
import { UserError } from "../errors.js";
import { packageRoot, readPackageInfo } from "../package-info.js";
import { roadmapWorkflowYaml, WORKFLOW_FILE } from "../ci/workflow.js";
import { learnerReadme, learnerGitignore, requirementsTxt } from "../workspace-files.js";
import { MARKER_FILE, defaultWorkspaceDir, isWorkspace, type WorkspaceMarker } from "../workspace.js";
import { input } from "../ui/prompts.js";
import { print, style } from "../ui/style.js";

export interface InitOptions extends GlobalOptions {
  /** Ask for the folder (when `next` offers to create the workspace on a terminal). */
  ask?: boolean;
}

/** Creates the learner's workspace: every exercise's starter files, a README, .gitignore and requirements. */
export async function init(dirArg: string | undefined, options: InitOptions): Promise<void> {
  const cwd = options.cwd ?? process.cwd();
  const roadmap = await loadContent(options);
  const suggested = defaultWorkspaceDir(cwd, packageRoot);
  const chosen = dirArg ?? (options.ask ? await input("Where should your workspace go?", suggested) : suggested);
  const dir = resolve(cwd, chosen);
  if (isWorkspace(dir)) {
    throw new UserError(`${dir} is already a roadmap workspace.`, 2, "Carry on there with: roadmap next");
  }

  const pkg = readPackageInfo();
  const files = new Map<string, string>([
    ["README.md", learnerReadme(roadmap, pkg)],
    [".gitignore", learnerGitignore()],
    ["requirements.txt", requirementsTxt(roadmap)],
    [WORKFLOW_FILE, roadmapWorkflowYaml(pkg)],
  ]);
  const starters: { from: string; to: string }[] = [];
  for (const exercise of roadmap.exercises.values()) {
    const target = join(exercise.stageId, exercise.id);
    files.set(join(target, "README.md"), exerciseReadme(exercise));
    starters.push({ from: join(exercise.dir, "starter"), to: target });
  }

  const targets = [...files.keys(), ...starters.flatMap(({ from, to }) => listExerciseFiles(from).map((f) => join(to, learnerPath(f))))];
  // lstat, not exists: a dangling symbolic link is something there too, and must not be written through.
  const existing = targets.filter((file) => lstatSync(join(dir, file), { throwIfNoEntry: false }));
  if (existing.length) {
    throw new UserError(
      `refusing to overwrite ${existing.length} existing file(s) in ${dir} (first: ${existing[0]}).`,
      2,
      "Choose an empty folder: roadmap init <dir>",
    );
  }

  for (const file of targets) refuseSymlinks(dir, join(dir, file));
  for (const [file, text] of files) write(join(dir, file), text);
  for (const { from, to } of starters) copyExerciseFiles(from, join(dir, to), { overwrite: false, root: dir });
  const marker: WorkspaceMarker = { roadmap: pkg.name, version: pkg.version, createdAt: new Date().toISOString() };
  write(join(dir, MARKER_FILE), JSON.stringify(marker, null, 2) + "\n");
  const { updateSettings } = await import("../settings.js");
  await updateSettings({ lastWorkspace: dir });

  const shown = relative(cwd, dir) || ".";
  print(style.green(`Created your workspace in ${dir}`));
  print(`  ${roadmap.exercises.size} exercises in ${roadmap.stages.length} stages, a README, .gitignore, requirements.txt and ${WORKFLOW_FILE}.`);
  print("Next:");
  print(`  cd ${shown}`);
  print(`  ${style.cyan("roadmap setup")}   # a .venv with the Python packages the exercises need`);
  print(`  ${style.cyan("roadmap next")}    # what to do first`);
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { flag: "wx" });
}
