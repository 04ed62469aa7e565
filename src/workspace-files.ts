import type { Roadmap } from "./content/model.js";
import type { PackageInfo } from "./package-info.js";

/** The files `roadmap init` writes besides the starters: pure text builders. */

export function requirementsTxt(roadmap: Roadmap): string {
  const names = new Set(["pytest"]);
  for (const exercise of roadmap.exercises.values()) for (const name of exercise.requires.python) names.add(name);
  return [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())).join("\n") + "\n";
}

export function learnerGitignore(): string {
  return [".venv/", "__pycache__/", "*.pyc", ".pytest_cache/", ".roadmap/backups/", ".env", ""].join("\n");
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

## Stages

${stages}
`;
}
