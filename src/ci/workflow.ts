// The GitHub workflow `roadmap init` writes into a workspace: built as an object and serialised with `yaml`, so
// it is always valid YAML. It re-verifies the learner's pushed code and publishes the badge on a branch of its own.
import { stringify } from "yaml";
import type { PackageInfo } from "../package-info.js";
import type { CiToolSource } from "../source/tool-source.js";
import { uses } from "./actions.js";
import { BADGE_FILES } from "./files.js";

export const WORKFLOW_FILE = ".github/workflows/roadmap.yml";
export const BADGE_BRANCH = "roadmap-badge";
const BADGE_DIR = "badge";
/** Where the verify job puts the tool, inside the checked-out workspace (setup-node hashes its lockfile there). */
export const TOOL_DIR = ".roadmap/tool";
/** The Node the workflow runs the tool on: a current LTS. (The tool itself supports Node >= 20.12.) */
export const WORKFLOW_NODE = "24";
export const WORKFLOW_PYTHON = "3.12";

type Step = Record<string, unknown>;

/** The verify job's steps that install the tool from `source`, and the step that runs its `roadmap ci`. */
function toolSteps(pkg: PackageInfo, source: CiToolSource): { install: Step[]; ci: Step } {
  const ci = { name: "Re-verify every exercise and compute the badge", env: { ROADMAP_STRICT: "1" } };
  if (source.kind === "registry") {
    const spec = `${pkg.name}@${source.version}`;
    return {
      install: [
        { uses: uses("actions/setup-node"), with: { "node-version": WORKFLOW_NODE, cache: "npm", "cache-dependency-path": "package.json" } },
        { name: `Install ${spec} from the npm registry`, run: `npm install --no-save --no-package-lock --no-audit --no-fund --prefix ${TOOL_DIR} ${spec}` },
      ],
      ci: { ...ci, run: `node ${TOOL_DIR}/node_modules/${pkg.name}/bin/roadmap.js ci --out ${BADGE_DIR}` },
    };
  }
  // NOTE: the tool is fetched with git and installed with `npm ci` from its own lockfile, never as an npm git
  // dependency: npm rewrites a GitHub https dependency to git+ssh in package-lock.json (npm/cli#2610), and a runner
  // has no ssh key. `npm ci` runs the tool's `prepare`, which builds dist/ (not committed).
  const install = [
    {
      name: "Fetch the roadmap tool at the commit this workspace was made from",
      env: { ROADMAP_TOOL_REPOSITORY: source.repository, ROADMAP_TOOL_COMMIT: source.commit },
      run: [
        `git init -q ${TOOL_DIR}`,
        `git -C ${TOOL_DIR} fetch -q --depth 1 "$ROADMAP_TOOL_REPOSITORY" "$ROADMAP_TOOL_COMMIT"`,
        `git -C ${TOOL_DIR} checkout -q FETCH_HEAD`,
        "",
      ].join("\n"),
    },
    { uses: uses("actions/setup-node"), with: { "node-version": WORKFLOW_NODE, cache: "npm", "cache-dependency-path": `${TOOL_DIR}/package-lock.json` } },
    { name: "Install and build the tool", "working-directory": TOOL_DIR, run: "npm ci --no-audit --no-fund" },
  ];
  return { install, ci: { ...ci, run: `node ${TOOL_DIR}/bin/roadmap.js ci --out ${BADGE_DIR}` } };
}

export function roadmapWorkflow(pkg: PackageInfo, source: CiToolSource): Record<string, unknown> {
  const onDefaultBranch = "github.ref_name == github.event.repository.default_branch";
  const tool = toolSteps(pkg, source);
  return {
    name: "roadmap",
    on: {
      push: { branches: ["main", "master"] },
      workflow_dispatch: {},
    },
    // Least privilege: the learner's code and its dependencies run with a read-only token.
    permissions: { contents: "read" },
    // One run per ref: a newer push cancels the run it makes obsolete, never another branch's badge run.
    concurrency: { group: "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": true },
    jobs: {
      verify: {
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 30,
        permissions: { contents: "read" },
        outputs: { badge: "${{ steps.upload.outputs.artifact-id }}" },
        steps: [
          { uses: uses("actions/checkout"), with: { "persist-credentials": false } },
          ...tool.install,
          {
            name: "Install Redis and PostgreSQL (the verifiers start private servers)",
            run: "sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends redis-server postgresql",
          },
          { uses: uses("actions/setup-python"), with: { "python-version": WORKFLOW_PYTHON, cache: "pip", "cache-dependency-path": "requirements.txt" } },
          { name: "Install the exercises' Python packages", run: "python -m pip install -r requirements.txt" },
          tool.ci,
          {
            name: "Keep the badge for the publish job",
            id: "upload",
            // A regression fails the step above, but the badge it wrote is still the honest one.
            if: `\${{ !cancelled() && hashFiles('${BADGE_DIR}/${BADGE_FILES.json}') != '' }}`,
            uses: uses("actions/upload-artifact"),
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
          { uses: uses("actions/download-artifact"), with: { name: "roadmap-badge", path: BADGE_DIR } },
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

export function roadmapWorkflowYaml(pkg: PackageInfo, source: CiToolSource): string {
  const from = source.kind === "git" ? `commit ${source.commit} of ${source.repository}` : `${pkg.name}@${source.version} from the npm registry`;
  return [
    `# Written by roadmap (${pkg.name} ${pkg.version}). It re-runs every exercise's verifier on the pushed code with the`,
    `# tool this workspace was made with (${from}),`,
    `# and publishes the progress badge on the ${BADGE_BRANCH} branch: see README.md, "Show your progress".`,
    stringify(roadmapWorkflow(pkg, source), { lineWidth: 0 }),
  ].join("\n");
}

/** The markdown a learner pastes into their README, with <you>/<repo> to replace. */
export function badgeSnippet(repo = "<you>/<repo>"): string {
  const endpoint = `https://raw.githubusercontent.com/${repo}/${BADGE_BRANCH}/${BADGE_FILES.json}`;
  return `[![roadmap](https://img.shields.io/endpoint?url=${endpoint})](https://github.com/${repo}/actions/workflows/roadmap.yml)`;
}
