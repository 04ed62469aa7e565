// The edge of init and upgrade: writes the planned files and the marker into a workspace, and installs the tool there.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { refuseSymlinks } from "./content/files.js";
import { UserError } from "./errors.js";
import type { ToolSource } from "./source/tool-source.js";
import { print, style } from "./ui/style.js";
import type { PlannedFile } from "./workspace-plan.js";
import { MARKER_FILE, markerText, type WorkspaceMarker } from "./workspace.js";

/** Writes the files the plan adds or updates, then the marker that records them. */
export function writeWorkspaceFiles(dir: string, plan: PlannedFile[], marker: WorkspaceMarker): void {
  for (const { path, action, text } of plan) {
    if (action !== "add" && action !== "update") continue;
    const file = join(dir, path);
    refuseSymlinks(dir, file);
    mkdirSync(dirname(file), { recursive: true });
    // NOTE: an added file must not exist yet: a file that appeared since the plan was made is never overwritten.
    writeFileSync(file, text, { flag: action === "add" ? "wx" : "w" });
  }
  mkdirSync(dirname(join(dir, MARKER_FILE)), { recursive: true });
  writeFileSync(join(dir, MARKER_FILE), markerText(marker));
}

/** `npm install` in the workspace, with npm's output shown: afterwards `npx roadmap` runs this tool there. */
export async function installTool(dir: string, source: ToolSource): Promise<true> {
  print(`Installing the tool into the workspace (npm install: ${source.label}) ...`);
  const { npmInstall } = await import("./source/npm.js");
  const result = await npmInstall(dir, (chunk) => process.stdout.write(style.dim(chunk)));
  if (result.interrupted) throw new UserError("npm install was interrupted.", 130, `Finish it with: cd ${dir} && npm install`);
  if (result.startError) throw new UserError(`could not run npm: ${result.startError}`, 2, `Install Node.js with npm, then run: cd ${dir} && npm install`);
  if (result.exitCode !== 0) {
    const last = `${result.stderr}${result.stdout}`.trim().split("\n").pop() ?? "";
    throw new UserError(`npm install failed in ${dir}: ${last}`, 2, `Fix the error above, then run: cd ${dir} && npm install`);
  }
  return true;
}
