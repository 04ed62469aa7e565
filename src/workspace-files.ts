import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Exercise, Roadmap } from "./content/model.js";
import { learnerPath, listExerciseFiles } from "./content/files.js";
import type { PackageInfo } from "./package-info.js";
import { badgeSnippet, BADGE_BRANCH, roadmapWorkflowYaml, WORKFLOW_FILE } from "./ci/workflow.js";
import type { ToolSource } from "./source/tool-source.js";
import { exerciseReadme } from "./content/readme.js";
import { withCommandPrefix } from "./ui/command.js";

/** The files `roadmap init` writes besides the starters: text builders. */

// Files in a workspace are read there later, where `npx roadmap` runs the tool its package.json pins.
const IN_WORKSPACE = "npx roadmap";

export function requirementsTxt(roadmap: Roadmap): string {
  const names = new Set(["pytest"]);
  for (const exercise of roadmap.exercises.values()) for (const name of exercise.requires.python) names.add(name);
  return [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())).join("\n") + "\n";
}

export function learnerGitignore(): string {
  return [".venv/", "node_modules/", "__pycache__/", "*.pyc", ".pytest_cache/", ".roadmap/backups/", ".roadmap/badge/", ".env", ""].join("\n");
}

/** npx never installs what this folder does not depend on: without node_modules, `npx roadmap` stops, never fetches. */
export function learnerNpmrc(): string {
  return [
    "# `npx roadmap` runs the tool that package.json pins, from node_modules. Before `npm install`, npx would offer to",
    "# download an unrelated registry package called `roadmap`; with yes=false it stops instead.",
    "yes=false",
    "",
  ].join("\n");
}

/**
 * The workspace's package.json: the tool, pinned to the source this workspace was made from. An existing file (edited
 * by the learner, or from an earlier version) keeps everything else it says.
 */
export function learnerPackageJson(pkg: PackageInfo, spec: string, dir: string, current?: Record<string, unknown>): string {
  const manifest: Record<string, unknown> = current ?? {
    name: packageName(basename(dir)),
    private: true,
    description: `My work through ${pkg.name}: backend development for AI + finance apps`,
  };
  manifest.dependencies = { ...(manifest.dependencies as object | undefined), [pkg.name]: spec };
  // npm >= 11 asks before it runs a git dependency's build (`prepare`): this approves exactly this commit.
  const approved = Object.entries((manifest.allowScripts as Record<string, boolean> | undefined) ?? {}).filter(([key]) => !isToolSpec(key, pkg));
  if (spec.startsWith("git")) approved.push([spec, true]);
  if (approved.length) manifest.allowScripts = Object.fromEntries(approved);
  else delete manifest.allowScripts;
  return JSON.stringify(manifest, null, 2) + "\n";
}

// An allowScripts key this tool wrote for an earlier source: a git spec of the tool's repository.
function isToolSpec(key: string, pkg: PackageInfo): boolean {
  return key.startsWith("git") && key.includes(`/${pkg.name.split("/").pop()}`);
}

function packageName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+|-+$/g, "");
  return name || "my-backend-roadmap";
}

/** The exercise README in the workspace: its rules rendered from the front matter, commands in the workspace's form. */
export function workspaceExerciseReadme(exercise: Exercise): string {
  return withCommandPrefix(exerciseReadme(exercise), IN_WORKSPACE);
}

export function learnerReadme(roadmap: Roadmap, pkg: PackageInfo, hasWorkflow: boolean): string {
  const stages = roadmap.stages.map((s) => `${s.order}. **${s.title}** (\`${s.id}\`): ${s.summary}`).join("\n");
  const badge = hasWorkflow
    ? `${badgeSnippet()}

\`${WORKFLOW_FILE}\` re-runs every exercise's verifier on the code you push (so the badge cannot claim an
exercise that does not pass), with the tool this workspace was made with, reads your checklist and quiz results
from \`.roadmap/progress.json\`, and pushes the badge to the \`${BADGE_BRANCH}\` branch. To enable it, push this
folder to a public GitHub repository (shields.io reads the badge's file from it), let the workflow run once, and
replace \`<you>/<repo>\` above with your repository.`
    : `No badge workflow yet: GitHub's runners could not fetch the tool this workspace was made with (\`roadmap init\`
said why). Once they can, \`roadmap upgrade\` adds \`${WORKFLOW_FILE}\` and the badge snippet is in the tool's README.`;
  return withCommandPrefix(
    `# My backend roadmap

My work through ${pkg.name}: backend development for AI + finance
apps, one stage at a time.

## How to work here

\`package.json\` pins the tool this workspace was made with, and \`npx roadmap\` runs it from \`node_modules\`:

\`\`\`sh
npm install          # once per copy of this folder (init did it here): installs that tool
roadmap setup        # once: a .venv with the packages the exercises need
roadmap next         # what to do next, and an offer to start it
roadmap learn        # the current stage's lesson
roadmap watch        # re-check the current exercise every time you save
roadmap hint         # one more hint for the current exercise
roadmap status       # where you are
\`\`\`

With \`roadmap\` on your PATH (\`npm link\` in the tool's clone), leave out the \`npx\`. Before \`npm install\`,
\`npx roadmap\` stops (\`.npmrc\` says \`yes=false\`) instead of downloading an unrelated package called \`roadmap\`.

Each exercise lives in \`<stage>/<exercise>/\`: its \`README.md\` says what to build; edit the files it names.
Your progress is saved in \`.roadmap/progress.json\`: commit it with your code.

## Show your progress

${badge} Try it here first with \`roadmap ci\`; \`roadmap badge\` draws it from your recorded progress.

## Stages

${stages}
`,
    IN_WORKSPACE,
  );
}

/**
 * Every file a workspace gets from the tool, by path inside the workspace: what init writes, and what upgrade brings
 * up to date. `currentPackageJson` is the workspace's own package.json, whose other fields are kept.
 */
export function workspaceFiles(
  roadmap: Roadmap,
  pkg: PackageInfo,
  source: ToolSource,
  dir: string,
  currentPackageJson?: Record<string, unknown>,
): Map<string, string> {
  const files = new Map<string, string>([
    ["README.md", learnerReadme(roadmap, pkg, Boolean(source.ci))],
    [".gitignore", learnerGitignore()],
    [".npmrc", learnerNpmrc()],
    ["package.json", learnerPackageJson(pkg, source.spec, dir, currentPackageJson)],
    ["requirements.txt", requirementsTxt(roadmap)],
  ]);
  if (source.ci) files.set(WORKFLOW_FILE, roadmapWorkflowYaml(pkg, source.ci));
  for (const exercise of roadmap.exercises.values()) {
    const target = join(exercise.stageId, exercise.id);
    files.set(join(target, "README.md"), workspaceExerciseReadme(exercise));
    const starter = join(exercise.dir, "starter");
    for (const file of listExerciseFiles(starter)) files.set(join(target, learnerPath(file)), readFileSync(join(starter, file), "utf8"));
  }
  return files;
}
