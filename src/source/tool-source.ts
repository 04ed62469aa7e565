// Where this copy of the tool came from, and so how a workspace installs exactly this tool: locally (a package.json
// dependency) and in the badge workflow. A clone of the tool's repository, a git install made by npm, or a registry
// install; anything else cannot be installed again, and says so.
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { PackageInfo } from "../package-info.js";
import { readClone, type CloneState } from "./git.js";
import { parseRemote, splitResolvedGitSpec } from "./remote.js";

/** Where the badge workflow installs the tool from. */
export type CiToolSource = { kind: "git"; repository: string; commit: string } | { kind: "registry"; version: string };

export interface ToolSource {
  /** The workspace package.json's dependency on the tool. */
  spec: string;
  /** The commit, when the tool comes from git. */
  commit?: string;
  /** Undefined when no CI runner could install this tool: then no badge workflow is written. */
  ci?: CiToolSource;
  /** Whether `npm install` can fetch `spec` now (not while the commit exists only in the local clone). */
  installable: boolean;
  /** One line each: what will be installed instead of what the learner may expect, and how to fix it. */
  warnings: string[];
  /** For messages: `commit 1a2b3c4 of https://github.com/o/r.git`. */
  label: string;
}

/** Reads how this copy of the tool was installed (it runs git for a clone, and npm view for a registry install). */
export async function findToolSource(pkg: PackageInfo, packageRoot: string, workspaceDir: string): Promise<ToolSource> {
  const isClone = existsSync(join(packageRoot, ".git"));
  const clone = isClone ? await readClone(packageRoot) : undefined;
  if (clone) return sourceFromClone(clone, workspaceDir);
  const resolved = installedFrom(pkg, packageRoot);
  const git = resolved && splitResolvedGitSpec(resolved);
  if (git) return sourceFromGitInstall(git);
  const fromRegistry = Boolean(resolved && isRegistryTarball(resolved, pkg));
  if (fromRegistry) {
    const { isPublished } = await import("./npm.js");
    if (await isPublished(pkg.name, pkg.version, workspaceDir)) {
      return { spec: pkg.version, ci: { kind: "registry", version: pkg.version }, installable: true, warnings: [], label: `${pkg.name}@${pkg.version} from the npm registry` };
    }
  }
  const fix = "Clone the tool's repository and npm install there, then in that clone run: npx roadmap upgrade";
  const why = isClone
    ? `git could not read the tool's clone (${packageRoot}): is git installed? No badge workflow was written. Install git, then run: roadmap upgrade`
    : fromRegistry
      ? `npm view does not find ${pkg.name}@${pkg.version} on the registry, so no badge workflow was written: CI could not install the same tool. ${fix}`
      : `this copy of the tool (${packageRoot}) is neither a git clone nor installed by npm from git or the registry, so no badge workflow was written: CI could not install the same tool. ${fix}`;
  return { spec: `file:${packageRoot}`, installable: true, warnings: [why], label: `the copy in ${packageRoot}` };
}

/** A clone of the tool: the workspace pins its commit at its remote, or links the folder when there is no remote. */
export function sourceFromClone(clone: CloneState, workspaceDir: string): ToolSource {
  const short = clone.commit.slice(0, 7);
  const warnings: string[] = [];
  if (clone.uncommitted.length) {
    warnings.push(
      `the tool's clone has ${clone.uncommitted.length} uncommitted change(s) (${clone.uncommitted[0]}): the workspace installs commit ${short} without them, here and in CI. Commit and push them, then run: roadmap upgrade`,
    );
  }
  if (!clone.branch) {
    warnings.push(`the tool's clone is on a detached HEAD: the workspace installs commit ${short}. To follow a branch, git -C ${clone.root} switch <branch>, then run: roadmap upgrade`);
  }
  const remote = clone.remote && parseRemote(clone.remote.url, clone.root);
  if (!clone.remote || !remote) {
    warnings.push(
      clone.remote
        ? `cannot read the tool's remote ${clone.remote.name} (${clone.remote.url}), so no badge workflow was written. Fix it (git -C ${clone.root} remote set-url ${clone.remote.name} <https-url>), then run: roadmap upgrade`
        : `the tool's clone (${clone.root}) has no git remote, so no badge workflow was written: CI could not fetch the tool. Push it to a repository of yours (git -C ${clone.root} remote add origin <url> && git -C ${clone.root} push -u origin HEAD), then run: roadmap upgrade`,
    );
    return { spec: `file:${relative(workspaceDir, clone.root) || "."}`, commit: clone.commit, installable: true, warnings, label: `the clone in ${clone.root} (commit ${short})` };
  }
  const { name } = clone.remote;
  if (remote.local) {
    warnings.push(
      `the tool's remote ${name} is a folder on this machine (${remote.fetchUrl}): the badge workflow fetches the tool from there, which GitHub's runners cannot reach. Push the tool to a repository they can reach, git -C ${clone.root} remote set-url ${name} <https-url>, then run: roadmap upgrade`,
    );
  }
  if (!clone.pushed) {
    warnings.push(
      `commit ${short} is on no branch of ${name} yet, so neither npm nor the badge workflow can fetch it. Push it (git -C ${clone.root} push ${name} HEAD${clone.branch ? "" : ":<branch>"}), then run npm install in the workspace.`,
    );
  }
  return {
    spec: `${remote.npmSpec}#${clone.commit}`,
    commit: clone.commit,
    ci: { kind: "git", repository: remote.fetchUrl, commit: clone.commit },
    installable: clone.pushed,
    warnings,
    label: `commit ${short} of ${remote.fetchUrl}`,
  };
}

/** Installed by npm from git: the same repository and commit again (the workflow fetches it over https). */
export function sourceFromGitInstall(git: { repository: string; commit: string }): ToolSource {
  const remote = parseRemote(git.repository, ".");
  const short = git.commit.slice(0, 7);
  const label = `commit ${short} of ${remote?.fetchUrl ?? git.repository}`;
  const spec = `${git.repository}#${git.commit}`;
  if (!remote) return { spec, commit: git.commit, installable: true, warnings: [`cannot read ${git.repository}, so no badge workflow was written.`], label };
  return { spec, commit: git.commit, ci: { kind: "git", repository: remote.fetchUrl, commit: git.commit }, installable: true, warnings: [], label };
}

/** What npm recorded as the source of this installed package (its `resolved`), from the hidden lockfile beside it. */
function installedFrom(pkg: PackageInfo, packageRoot: string): string | undefined {
  // <project>/node_modules/.package-lock.json lists <project>/node_modules/<name> as "node_modules/<name>".
  const lockfile = join(packageRoot, "..", ".package-lock.json");
  try {
    const lock = JSON.parse(readFileSync(lockfile, "utf8")) as { packages?: Record<string, { resolved?: string }> };
    return lock.packages?.[`node_modules/${pkg.name}`]?.resolved;
  } catch {
    return undefined;
  }
}

function isRegistryTarball(resolved: string, pkg: PackageInfo): boolean {
  return /^https?:\/\//.test(resolved) && resolved.endsWith(`/-/${pkg.name.split("/").pop()}-${pkg.version}.tgz`);
}

/** `roadmap --version`: the version, and the commit for a clone or a git install. */
export async function describeVersion(pkg: PackageInfo, packageRoot: string): Promise<string> {
  const clone = existsSync(join(packageRoot, ".git")) ? await readClone(packageRoot) : undefined;
  if (clone) return `${pkg.version} (commit ${clone.commit}${clone.uncommitted.length ? ", with uncommitted changes" : ""})`;
  const resolved = installedFrom(pkg, packageRoot);
  const git = resolved && splitResolvedGitSpec(resolved);
  return git ? `${pkg.version} (commit ${git.commit}, installed from ${git.repository})` : pkg.version;
}
