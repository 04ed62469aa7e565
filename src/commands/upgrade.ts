import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContent, requireWorkspace, type GlobalOptions } from "../context.js";
import { UserError } from "../errors.js";
import { packageRoot, readPackageInfo } from "../package-info.js";
import { findToolSource } from "../source/tool-source.js";
import { confirm, requireInteractive } from "../ui/prompts.js";
import { print, printError, style } from "../ui/style.js";
import { workspaceFiles } from "../workspace-files.js";
import { planFiles, recordedAfter, type PlannedFile } from "../workspace-plan.js";
import { installTool, writeWorkspaceFiles } from "../workspace-write.js";
import { readMarker, type WorkspaceMarker } from "../workspace.js";

export interface UpgradeOptions extends GlobalOptions {
  yes?: boolean;
  dryRun?: boolean;
  /** false (`--no-install`): do not run `npm install` after package.json changed. */
  install?: boolean;
}

const LABEL: Record<PlannedFile["action"], string> = { add: "add", update: "update", keep: "keep", same: "" };

/**
 * Brings a workspace made by an earlier version up to date with this tool: package.json pins this tool, and the
 * workflow, READMEs, starters and requirements that roadmap wrote are replaced, unless the learner edited them.
 */
export async function upgrade(options: UpgradeOptions): Promise<void> {
  const workspace = await requireWorkspace(options);
  const marker = readMarker(workspace);
  const [roadmap, pkg] = [await loadContent(options), readPackageInfo()];
  const source = await findToolSource(pkg, packageRoot, workspace);
  const plan = planFiles(workspaceFiles(roadmap, pkg, source, workspace, readPackageJson(workspace)), (path) => readText(join(workspace, path)), marker.files);
  const changes = plan.filter((file) => file.action === "add" || file.action === "update");
  const kept = plan.filter((file) => file.action === "keep");

  const made = `${marker.roadmap} ${marker.version}${marker.tool?.commit ? ` at commit ${marker.tool.commit.slice(0, 7)}` : ""}`;
  print(`Workspace ${workspace}, made by ${made}; this tool is ${pkg.version}, ${source.label}.`);
  for (const warning of source.warnings) printError(`${style.yellow("warning")} ${warning}`);
  for (const file of [...changes, ...kept]) {
    const why = file.action === "keep" ? style.dim(marker.files ? "  (edited since roadmap wrote it: kept)" : "  (differs, and this workspace has no record of what roadmap wrote: kept)") : "";
    print(`  ${LABEL[file.action].padEnd(6)}  ${file.path}${why}`);
  }
  const next: WorkspaceMarker = {
    ...marker,
    version: pkg.version,
    updatedAt: new Date().toISOString(),
    tool: { spec: source.spec, commit: source.commit },
    files: recordedAfter(plan, marker.files),
  };
  if (!changes.length && JSON.stringify({ ...next, updatedAt: marker.updatedAt }) === JSON.stringify(marker)) {
    print(style.green("Up to date: nothing to change."));
    return;
  }
  if (options.dryRun) {
    print(`${changes.length} file(s) to add or update, ${kept.length} kept (dry run: nothing written).`);
    return;
  }
  if (changes.length && !options.yes) {
    requireInteractive("Confirming the upgrade", "roadmap upgrade --yes   (or --dry-run to only list the changes)");
    if (!(await confirm(`Apply these ${changes.length} change(s)?`))) return;
  }
  writeWorkspaceFiles(workspace, plan, next);
  print(style.green(`Upgraded ${workspace}: ${changes.length} file(s) added or updated, ${kept.length} kept.`));
  if (kept.length) print(style.dim(`To take the new version of a kept file, move yours aside (mv <file> <file>.mine), then run roadmap upgrade again.`));
  const dependencyChanged = changes.some((file) => file.path === "package.json") || !existsSync(join(workspace, "node_modules", pkg.name));
  if (dependencyChanged && options.install !== false && source.installable) await installTool(workspace, source);
}

function readText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** The workspace's own package.json, whose fields upgrade keeps; one that is not JSON stops it. */
function readPackageJson(workspace: string): Record<string, unknown> | undefined {
  const text = readText(join(workspace, "package.json"));
  if (text === undefined) return undefined;
  try {
    const manifest = JSON.parse(text) as unknown;
    if (typeof manifest === "object" && manifest !== null && !Array.isArray(manifest)) return manifest as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new UserError(`${join(workspace, "package.json")} is not a JSON object, so upgrade cannot pin the tool in it.`, 2, "Fix it (or move it aside), then run: roadmap upgrade");
}
