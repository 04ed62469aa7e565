import { lstatSync } from "node:fs";
import { relative, resolve } from "node:path";
import { loadContent, type GlobalOptions } from "../context.js";
import { UserError } from "../errors.js";
import { packageRoot, readPackageInfo } from "../package-info.js";
import { findToolSource } from "../source/tool-source.js";
import { shellQuote, workspacePrefix } from "../ui/command.js";
import { input } from "../ui/prompts.js";
import { print, printError, style } from "../ui/style.js";
import { installTool, writeWorkspaceFiles } from "../workspace-write.js";
import { workspaceFiles } from "../workspace-files.js";
import { planFiles, recordedAfter } from "../workspace-plan.js";
import { defaultWorkspaceDir, isWorkspace, type WorkspaceMarker } from "../workspace.js";

export interface InitOptions extends GlobalOptions {
  /** Ask for the folder (when `next` offers to create the workspace on a terminal). */
  ask?: boolean;
  /** false (`--no-install`): write package.json but do not run `npm install`. */
  install?: boolean;
}

/**
 * Creates the learner's workspace: every exercise's starter files, a README, .gitignore, requirements, a package.json
 * that pins this very tool (installed with npm, so `npx roadmap` runs it there) and the badge workflow.
 */
export async function init(dirArg: string | undefined, options: InitOptions): Promise<void> {
  const cwd = options.cwd ?? process.cwd();
  const roadmap = await loadContent(options);
  const suggested = defaultWorkspaceDir(cwd, packageRoot);
  const chosen = dirArg ?? (options.ask ? await input("Where should your workspace go?", suggested) : suggested);
  const dir = resolve(cwd, chosen);
  const shown = shellQuote(relative(cwd, dir) || ".");
  if (isWorkspace(dir)) {
    throw new UserError(`${dir} is already a roadmap workspace.`, 2, `Carry on there: cd ${shown} && ${workspacePrefix()} next   (to bring it up to date: roadmap upgrade)`);
  }

  const pkg = readPackageInfo();
  const source = await findToolSource(pkg, packageRoot, dir);
  // lstat, not exists: a dangling symbolic link is something there too, and must not be written through.
  const plan = planFiles(workspaceFiles(roadmap, pkg, source, dir), (path) => (lstatSync(resolve(dir, path), { throwIfNoEntry: false }) ? "" : undefined));
  const existing = plan.filter((file) => file.action !== "add");
  if (existing.length) {
    throw new UserError(`refusing to overwrite ${existing.length} existing file(s) in ${dir} (first: ${existing[0]!.path}).`, 2, "Choose an empty folder: roadmap init <dir>");
  }
  const now = new Date().toISOString();
  const marker: WorkspaceMarker = {
    roadmap: pkg.name,
    version: pkg.version,
    createdAt: now,
    tool: { spec: source.spec, commit: source.commit },
    files: recordedAfter(plan),
  };
  writeWorkspaceFiles(dir, plan, marker);
  const { updateSettings } = await import("../settings.js");
  await updateSettings({ lastWorkspace: dir });

  print(style.green(`Created your workspace in ${dir}`));
  print(`  ${roadmap.exercises.size} exercises in ${roadmap.stages.length} stages, a README, package.json (the tool: ${source.label})${source.ci ? " and the badge workflow" : ""}.`);
  for (const warning of source.warnings) printError(`${style.yellow("warning")} ${warning}`);

  const installed = options.install !== false && source.installable && (await installTool(dir, source));
  const run = workspacePrefix();
  const steps: [string, string][] = [
    [`cd ${shown}`, ""],
    ...(installed ? [] : [["npm install", "installs the tool package.json pins"] as [string, string]]),
    [`${run} setup`, "a .venv with the Python packages the exercises need"],
    [`${run} next`, "what to do first"],
  ];
  const width = Math.max(...steps.filter(([, why]) => why).map(([command]) => command.length));
  print("Next:");
  for (const [command, why] of steps) print(`  ${style.cyan(command)}${why ? `${" ".repeat(width - command.length)}   # ${why}` : ""}`);
}
