// The GitHub workflow `roadmap init` writes into a workspace: built as an object and serialised with `yaml`, so
// it is always valid YAML. It re-verifies the learner's pushed code and publishes the badge on a branch of its own.
import { stringify } from "yaml";
import type { PackageInfo } from "../package-info.js";
import { BADGE_FILES } from "./files.js";

export const WORKFLOW_FILE = ".github/workflows/roadmap.yml";
export const BADGE_BRANCH = "roadmap-badge";
const BADGE_DIR = "badge";

export function roadmapWorkflow(pkg: PackageInfo): Record<string, unknown> {
  const onDefaultBranch = "github.ref_name == github.event.repository.default_branch";
  return {
    name: "roadmap",
    on: {
      push: { branches: ["main", "master"] },
      workflow_dispatch: {},
    },
    // Least privilege: the learner's code and its dependencies run with a read-only token.
    permissions: { contents: "read" },
    concurrency: { group: "roadmap-badge", "cancel-in-progress": true },
    jobs: {
      verify: {
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 30,
        permissions: { contents: "read" },
        outputs: { badge: "${{ steps.upload.outputs.artifact-id }}" },
        steps: [
          { uses: "actions/checkout@v4" },
          {
            name: "Install Redis and PostgreSQL (the verifiers start private servers)",
            run: "sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends redis-server postgresql",
          },
          { uses: "actions/setup-python@v5", with: { "python-version": "3.12", cache: "pip" } },
          { uses: "actions/setup-node@v4", with: { "node-version": "20" } },
          { name: "Install the exercises' Python packages", run: "python -m pip install -r requirements.txt" },
          {
            name: "Re-verify every exercise and compute the badge",
            run: `npx --yes ${pkg.name}@${pkg.version} ci --out ${BADGE_DIR}`,
            env: { ROADMAP_STRICT: "1" },
          },
          {
            name: "Keep the badge for the publish job",
            id: "upload",
            // A regression fails the step above, but the badge it wrote is still the honest one.
            if: "${{ !cancelled() && hashFiles('badge/endpoint.json') != '' }}",
            uses: "actions/upload-artifact@v4",
            with: { name: "roadmap-badge", path: BADGE_DIR, "retention-days": 1 },
          },
        ],
      },
      publish: {
        needs: "verify",
        if: `\${{ !cancelled() && needs.verify.outputs.badge != '' && ${onDefaultBranch} }}`,
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 5,
        // The only job that may write: it force-pushes the badge files to the badge branch.
        permissions: { contents: "write" },
        steps: [
          { uses: "actions/download-artifact@v4", with: { name: "roadmap-badge", path: BADGE_DIR } },
          {
            name: `Publish the badge to the ${BADGE_BRANCH} branch`,
            "working-directory": BADGE_DIR,
            env: { GH_TOKEN: "${{ github.token }}" },
            run: [
              `test -f ${BADGE_FILES.json} && test -f ${BADGE_FILES.svg}`,
              `git init -q -b ${BADGE_BRANCH}`,
              "git add -A",
              'git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com" commit -q -m "roadmap badge for ${GITHUB_SHA}"',
              `git push -q --force "https://x-access-token:\${GH_TOKEN}@\${GITHUB_SERVER_URL#https://}/\${GITHUB_REPOSITORY}.git" HEAD:${BADGE_BRANCH}`,
              "",
            ].join("\n"),
          },
        ],
      },
    },
  };
}

export function roadmapWorkflowYaml(pkg: PackageInfo): string {
  return `# Written by roadmap init (${pkg.name} ${pkg.version}). It re-runs every exercise's verifier on the pushed code\n# and publishes the progress badge on the ${BADGE_BRANCH} branch: see README.md, "Show your progress".\n${stringify(roadmapWorkflow(pkg), { lineWidth: 0 })}`;
}

/** The markdown a learner pastes into their README, with <you>/<repo> to replace. */
export function badgeSnippet(repo = "<you>/<repo>"): string {
  const endpoint = `https://raw.githubusercontent.com/${repo}/${BADGE_BRANCH}/${BADGE_FILES.json}`;
  return `[![roadmap](https://img.shields.io/endpoint?url=${endpoint})](https://github.com/${repo}/actions/workflows/roadmap.yml)`;
}
