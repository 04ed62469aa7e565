import type { Roadmap } from "./content/model.js";
import type { PackageInfo } from "./package-info.js";
import { badgeSnippet, BADGE_BRANCH, WORKFLOW_FILE } from "./ci/workflow.js";

/** The files `roadmap init` writes besides the starters: pure text builders. */

export function requirementsTxt(roadmap: Roadmap): string {
  const names = new Set(["pytest"]);
  for (const exercise of roadmap.exercises.values()) for (const name of exercise.requires.python) names.add(name);
  return [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())).join("\n") + "\n";
}

export function learnerGitignore(): string {
  return [".venv/", "__pycache__/", "*.pyc", ".pytest_cache/", ".roadmap/backups/", ".roadmap/badge/", ".env", ""].join("\n");
}

export function learnerReadme(roadmap: Roadmap, pkg: PackageInfo): string {
  const stages = roadmap.stages.map((s) => `${s.order}. **${s.title}** (\`${s.id}\`): ${s.summary}`).join("\n");
  return `# My backend roadmap

My work through [${pkg.name}](https://www.npmjs.com/package/${pkg.name}) ${pkg.version}: backend development
for AI + finance apps, one stage at a time.

## How to work here

\`\`\`sh
roadmap setup        # once: a .venv with the packages the exercises need
roadmap next         # what to do next, and an offer to start it
roadmap learn        # the current stage's lesson
roadmap watch        # re-check the current exercise every time you save
roadmap hint         # one more hint for the current exercise
roadmap status       # where you are
\`\`\`

Each exercise lives in \`<stage>/<exercise>/\`: its \`README.md\` says what to build; edit the files it names.
Your progress is saved in \`.roadmap/progress.json\`: commit it with your code.

## Show your progress

${badgeSnippet()}

\`${WORKFLOW_FILE}\` re-runs every exercise's verifier on the code you push (so the badge cannot claim an
exercise that does not pass), reads your checklist and quiz results from \`.roadmap/progress.json\`, and pushes
the badge to the \`${BADGE_BRANCH}\` branch. To enable it, push this folder to a public GitHub repository
(shields.io reads the badge's file from it), let the workflow run once, and replace \`<you>/<repo>\` above with
your repository. Try it here first with \`roadmap ci\`; \`roadmap badge\` draws it from your recorded progress.

## Stages

${stages}
`;
}
