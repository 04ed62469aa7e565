// The front door, as a new learner walks through it: a fresh clone installed with the README's own command, a fresh
// HOME and no global install. Every command the tool prints is run verbatim where it says to run it.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_MAJORS } from "../../src/ci/actions.js";
import { TOOL_DIR, WORKFLOW_FILE } from "../../src/ci/workflow.js";
import { copyExerciseFiles } from "../../src/content/files.js";
import { loadRoadmap } from "../../src/content/load.js";
import { stageExercises } from "../../src/content/model.js";
import { repoRoot } from "../helpers.js";
import { BARE_COMMAND, commitAll, freshMachine, git, NOT_OUR_TOOL, npxCommands, removeMachine, sh, toolRepository, type Machine, type Shell } from "./fresh-clone.js";

const SLOW = { timeout: 10 * 60_000 };
let machine: Machine;
let repository: string;
let commit: string;
let clone: string;
let workspace: string;

/** The README's Start block, as lines of shell. */
function startCommands(): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const block = /## Start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  return block.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** A command's run reached this tool, and printed no command that would not run where it is printed. */
function ranOurTool(result: Shell, command: string): void {
  expect(result.output, command).not.toMatch(NOT_OUR_TOOL);
  expect(result.output, `${command} printed a bare command`).not.toMatch(BARE_COMMAND);
}

beforeAll(async () => {
  machine = freshMachine();
  repository = toolRepository(join(machine.root, "someone", "python-backend-roadmap.git"));
  commit = git(repository, "rev-parse", "HEAD");
  const code = join(machine.home, "code");
  const [cloneLine, ...rest] = startCommands();
  // The README's `git clone <this repository> && cd python-backend-roadmap`, from the repository on disk.
  expect(cloneLine).toMatch(/^git clone <this repository> && cd python-backend-roadmap$/);
  mkdirSync(code, { recursive: true });
  const cloned = await sh(`${cloneLine!.replace("<this repository>", repository)} && pwd`, code, machine.env);
  expect(cloned.code, cloned.output).toBe(0);
  clone = cloned.stdout.trim();
  workspace = join(machine.home, "code", "my-backend-roadmap");
  const install = rest[0]!;
  expect(install).toBe("npm install");
  const installed = await sh(install, clone, machine.env);
  expect(installed.code, installed.output).toBe(0);
}, SLOW.timeout);

// NOTE: a long timeout: removing the workspace's .venv (some 400 MB) takes a minute on a slow disk.
afterAll(() => removeMachine(machine), SLOW.timeout);

describe("a new learner, from a fresh clone", () => {
  it("README's next command, run in the clone, offers the workspace with a command that works there", SLOW, async () => {
    const [, , next] = startCommands();
    expect(next).toBe("npx roadmap next");
    const result = await sh(next!, clone, machine.env);
    expect(result.code, result.output).toBe(0);
    ranOurTool(result, next!);
    expect(npxCommands(result.stdout)).toEqual(["npx roadmap init [dir]"]);
  });

  it("init makes the workspace, installs the tool it came from, and its next steps run verbatim", SLOW, async () => {
    const init = await sh("npx roadmap init", clone, machine.env);
    expect(init.code, init.output).toBe(0);
    ranOurTool(init, "init");
    const manifest = JSON.parse(readFileSync(join(workspace, "package.json"), "utf8"));
    expect(manifest.dependencies["python-backend-roadmap"]).toBe(`git+file://${repository}#${commit}`);
    expect(existsSync(join(workspace, "node_modules", ".bin", "roadmap"))).toBe(true);
    // The repository is a folder here, so the workflow cannot work on GitHub: init says so.
    expect(init.stderr).toContain(`warning the tool's remote origin is a folder on this machine (file://${repository})`);

    const steps = init.stdout.slice(init.stdout.indexOf("Next:\n") + 6).split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
    expect(steps).toEqual(["cd ../my-backend-roadmap", "npx roadmap setup", "npx roadmap next"]);
    const result = await sh(steps.join(" && "), clone, machine.env);
    expect(result.code, result.output).toBe(0);
    ranOurTool(result, steps.join(" && "));
    expect(result.stdout).toContain(`Ready: verifiers will run with ${join(workspace, ".venv", "bin", "python")}`);
    expect(npxCommands(result.stdout)).toContain("npx roadmap learn core-python");
  });

  it("every command next, check, hint and an error print runs where it is printed", SLOW, async () => {
    const ran: string[] = [];
    const run = async (command: string, codes: number[]) => {
      const result = await sh(command, workspace, machine.env);
      expect(codes, `${command}\n${result.output}`).toContain(result.code);
      ranOurTool(result, command);
      ran.push(command);
      return result;
    };
    const first = npxCommands((await run("npx roadmap next", [0])).stdout);
    expect(first).toEqual(["npx roadmap learn core-python"]);
    await run(first[0]!, [0]);
    const exercise = npxCommands((await run("npx roadmap next", [0])).stdout)[0]!;
    expect(exercise).toMatch(/^npx roadmap check [a-z-]+$/);
    const id = exercise.split(" ").pop()!;
    const failed = await run(exercise, [1]);
    const hint = npxCommands(failed.stdout).find((command) => command.includes(" hint "))!;
    // The first exercise's hints name their rules: the pointer is the hint for the first failing rule.
    expect(hint).toMatch(new RegExp(`^npx roadmap hint ${id} --rule [a-z-]+$`));
    const hinted = await run(hint, [0]);
    expect(npxCommands(hinted.stdout)).toContain(`npx roadmap hint ${id}`);
    // An error a learner can cause names its fix as a command that runs here.
    const refused = await run(`npx roadmap solution ${id}`, [2]);
    const fix = npxCommands(refused.stderr)[0]!;
    expect(fix).toBe(`npx roadmap solution ${id} --yes`);
    await run(fix, [0]);
    // Deeper in the workspace npx still finds the tool.
    const nested = await sh("npx roadmap status", join(workspace, "core-python", id), machine.env);
    expect(nested.code, nested.output).toBe(0);
    ranOurTool(nested, "npx roadmap status (in an exercise folder)");
    // A venv without pytest (a setup that never ran): next's first step is setup, in the form that runs here.
    const venv = join(workspace, ".venv");
    rmSync(venv, { recursive: true, force: true });
    expect(spawnSync("python3", ["-m", "venv", venv]).status).toBe(0);
    const setupFirst = npxCommands((await run("npx roadmap next", [0])).stdout);
    expect(setupFirst).toContain("npx roadmap setup");
    await run("npx roadmap setup", [0]);
    expect(npxCommands((await run("npx roadmap next", [0])).stdout)).not.toContain("npx roadmap setup");
    // Naming a Python that the venv was not built with is refused without a terminal; the printed fix rebuilds it.
    // The learner's second Python: a wrapper around the same interpreter, at a path of its own.
    const python = join(machine.root, "other-python", "python3");
    mkdirSync(dirname(python), { recursive: true });
    writeFileSync(python, `#!/bin/sh\nexec python3 "$@"\n`, { mode: 0o755 });
    const refusedSetup = await run(`npx roadmap setup --python ${python}`, [2]);
    const force = npxCommands(refusedSetup.stderr)[0]!;
    expect(force).toBe(`npx roadmap setup --python ${python} --force`);
    expect((await run(force, [0])).stdout).toContain(`Creating ${venv} with ${python}`);
    // next's other first step, when the Python itself is the problem, is doctor: it runs here too.
    await run("npx roadmap doctor", [0, 1]);
    expect(ran).toHaveLength(13);
  });

  it("the workspace README's commands run there; no README in it names a bare command", SLOW, async () => {
    const readme = readFileSync(join(workspace, "README.md"), "utf8");
    const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = block.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
    expect(commands[0]).toBe("npm install");
    expect(commands.slice(1).every((command) => command.startsWith("npx roadmap "))).toBe(true);
    for (const command of commands) {
      const result = await sh(command, workspace, machine.env);
      // watch needs a terminal: without one it stops at once and names the form that works here.
      if (command === "npx roadmap watch") {
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("Without a terminal use: npx roadmap check");
      } else expect(result.code, `${command}\n${result.output}`).toBe(0);
      ranOurTool(result, command);
    }
    const readmes = (readdirSync(workspace, { recursive: true }) as string[]).filter((file) => file.endsWith("README.md") && !file.startsWith("node_modules") && !file.startsWith(".venv"));
    expect(readmes.length).toBeGreaterThan(28);
    for (const file of readmes) expect(readFileSync(join(workspace, file), "utf8"), file).not.toMatch(BARE_COMMAND);
    const gunicorn = readFileSync(join(workspace, "deployment", "gunicorn-app-factory", "README.md"), "utf8");
    expect(gunicorn).toContain("`npx roadmap check gunicorn-app-factory`");
  });

  it("--version names the commit the workspace installed", SLOW, async () => {
    const result = await sh("npx roadmap --version", workspace, machine.env);
    expect(result.stdout.trim()).toBe(`${JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version} (commit ${commit}, installed from git+file://${repository})`);
  });

  it("before npm install, npx roadmap stops instead of fetching the registry's unrelated `roadmap`", SLOW, async () => {
    const copy = join(machine.root, "uninstalled");
    for (const file of ["package.json", ".npmrc", ".roadmap/workspace.json"]) cpSync(join(workspace, file), join(copy, file), { recursive: true });
    const result = await sh("npx roadmap status", copy, machine.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("npx canceled due to missing packages");
    expect(result.output).not.toContain("Need to install");
  });

  it("the workflow installs the commit the workspace was made from", () => {
    const workflow = parse(readFileSync(join(workspace, ".github", "workflows", "roadmap.yml"), "utf8"));
    const fetch = workflow.jobs.verify.steps.find((step: { env?: Record<string, string> }) => step.env?.ROADMAP_TOOL_COMMIT);
    expect(fetch.env).toEqual({ ROADMAP_TOOL_REPOSITORY: `file://${repository}`, ROADMAP_TOOL_COMMIT: commit });
  });
});

// No GitHub runner is reachable, so the workflow is rehearsed here: its verify job's `run:` steps in order on a
// checkout of the pushed workspace, then its publish job's, with a bare repository on disk standing in for GitHub.
// What only GitHub does (`uses:` steps, `if:` and `${{ }}` expressions) is emulated minimally, below, by name: a new
// action or expression in the workflow fails this test until it is emulated here too.
describe("the badge workflow, rehearsed end to end", () => {
  const servicesInstalled = spawnSync("dpkg", ["-s", "redis-server", "postgresql"], { stdio: "ignore" }).status === 0;

  it.skipIf(!servicesInstalled)("verify re-runs the verifiers with the pinned tool; publish pushes the badge to the badge branch", SLOW, async () => {
    const stage = await completeFirstStage();
    const github = join(machine.root, "github", "learner", "my-backend-roadmap.git");
    git(machine.root, "init", "-q", "--bare", "-b", "main", github);
    git(workspace, "init", "-q", "-b", "main");
    commitAll(workspace, "my work");
    git(workspace, "push", "-q", github, "main");
    const sha = git(workspace, "rev-parse", "HEAD");

    const workflow = parse(readFileSync(join(workspace, WORKFLOW_FILE), "utf8"));
    const runner = new Runner(machine, github, sha);
    const verify = await runner.job(workflow.jobs.verify);
    const reverify = verify.find((step) => step.name === "Re-verify every exercise and compute the badge")!;
    expect(reverify.code, JSON.stringify(reverify).slice(-3000)).toBe(0);
    expect(verify.map((step) => step.name)).toEqual([
      "uses actions/checkout",
      "Fetch the roadmap tool at the commit this workspace was made from",
      "uses actions/setup-node",
      "Install and build the tool",
      "Install Redis and PostgreSQL (the verifiers start private servers)",
      "uses actions/setup-python",
      "Install the exercises' Python packages",
      "Re-verify every exercise and compute the badge",
      "uses actions/upload-artifact",
    ]);
    // The tool ran at the commit package.json pins, fetched from the tool's repository.
    expect(git(join(runner.workspace, TOOL_DIR), "rev-parse", "HEAD")).toBe(commit);
    expect(readFileSync(runner.stepSummary, "utf8")).toContain("## Roadmap progress: 1/8 stages");
    expect(readFileSync(runner.stepSummary, "utf8")).toContain(`| 1 | ${stage} |`);

    expect(runner.condition(workflow.jobs.publish.if)).toBe(true);
    await runner.job(workflow.jobs.publish, { fresh: true });
    const endpoint = JSON.parse(git(github, "show", "roadmap-badge:endpoint.json"));
    expect(endpoint).toMatchObject({ schemaVersion: 1, label: "roadmap", message: "1/8 stages" });
    expect(git(github, "show", "roadmap-badge:roadmap.svg")).toContain("1/8 stages");
    expect(git(github, "ls-tree", "--name-only", "roadmap-badge").split("\n").sort()).toEqual(["endpoint.json", "roadmap.svg", "summary.md"]);
    expect(git(github, "log", "-1", "--format=%s", "roadmap-badge")).toBe(`roadmap badge for ${sha}`);
    // The badge branch is the only thing the run changed on "GitHub".
    expect(git(github, "rev-parse", "main")).toBe(sha);
  });
});

/** Solves stage 1 in the workspace as a learner would: solutions, checklist, quiz, a recorded pass per exercise. */
async function completeFirstStage(): Promise<string> {
  const roadmap = await loadRoadmap(repoRoot);
  const stage = roadmap.stages[0]!;
  const run = async (command: string) => {
    const result = await sh(command, workspace, machine.env);
    expect(result.code, `${command}\n${result.output}`).toBe(0);
  };
  for (const exercise of stageExercises(roadmap, stage)) {
    copyExerciseFiles(join(exercise.dir, "solution"), join(workspace, stage.id, exercise.id));
    await run(`npx roadmap check ${exercise.id}`);
  }
  await run(`npx roadmap checklist ${stage.id} --done ${stage.checklist.map((item) => item.id).join(",")}`);
  const answers = Object.fromEntries(stage.quiz.questions.map((question) => [question.id, question.answer]));
  await run(`npx roadmap quiz ${stage.id} --answers '${JSON.stringify(answers)}'`);
  return stage.title;
}

interface StepRun {
  name: string;
  code: number | null;
}

/** A GitHub runner, as much of one as the roadmap workflow needs. */
class Runner {
  readonly home: string;
  readonly stepSummary: string;
  readonly artifacts: string;
  workspace: string;
  private path: string;
  private jobs = 0;
  private readonly token = "not-a-real-token";
  // A push to main, the repository's default branch.
  private readonly refName = "main";
  private readonly defaultBranch = "main";

  constructor(
    private readonly machine: Machine,
    private readonly github: string,
    private readonly sha: string,
  ) {
    this.home = join(machine.root, "runner");
    this.artifacts = join(this.home, "artifacts");
    this.stepSummary = join(this.home, "step-summary.md");
    this.workspace = join(this.home, "work-0");
    this.path = machine.env.PATH!;
    mkdirSync(this.artifacts, { recursive: true });
    // GITHUB_SERVER_URL/GITHUB_REPOSITORY with the job's token lead to the bare repository.
    writeFileSync(
      join(this.home, ".gitconfig"),
      `[url "file://${github}"]\n\tinsteadOf = https://x-access-token:${this.token}@github.com/learner/my-backend-roadmap.git\n[safe]\n\tdirectory = *\n`,
    );
  }

  private get env(): NodeJS.ProcessEnv {
    return {
      ...this.machine.env,
      PATH: this.path,
      HOME: this.home,
      GIT_CONFIG_GLOBAL: join(this.home, ".gitconfig"),
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_SHA: this.sha,
      GITHUB_REF: `refs/heads/${this.refName}`,
      GITHUB_REF_NAME: this.refName,
      GITHUB_REPOSITORY: "learner/my-backend-roadmap",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_STEP_SUMMARY: this.stepSummary,
      RUNNER_TEMP: join(this.home, "tmp"),
    };
  }

  /** `${{ }}` expressions the workflow uses, and what they are on a push to main that passed. */
  private readonly expressions: Record<string, () => unknown> = {
    "github.token": () => this.token,
    "!cancelled() && hashFiles('badge/endpoint.json') != ''": () => existsSync(join(this.workspace, "badge", "endpoint.json")),
    "!cancelled() && needs.verify.outputs.badge != '' && github.ref_name == github.event.repository.default_branch": () =>
      readdirSync(this.artifacts).length > 0 && this.refName === this.defaultBranch,
  };

  private expression(text: string): string {
    return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, inner: string) => {
      const evaluate = this.expressions[inner];
      if (!evaluate) throw new Error(`the rehearsal does not emulate \${{ ${inner} }}: add it to Runner.expressions`);
      return String(evaluate());
    });
  }

  condition(text: string): boolean {
    return this.expression(text) === "true";
  }

  /** The `uses:` steps: each emulated by what it does for this workflow, nothing more. */
  private readonly actions: Record<string, (inputs: Record<string, string>) => Promise<void> | void> = {
    // A checkout of the pushed commit.
    "actions/checkout": () => {
      git(this.home, "clone", "-q", this.github, this.workspace);
      git(this.workspace, "checkout", "-q", this.sha);
    },
    // Node here is the one running the tests (a Node 24 runner is not available): the version is only checked.
    "actions/setup-node": (inputs) => {
      expect(Number(inputs["node-version"])).toBeGreaterThanOrEqual(24);
      expect(inputs.cache).toBe("npm");
      expect(existsSync(join(this.workspace, inputs["cache-dependency-path"]!)), "the npm cache is keyed on a file that exists").toBe(true);
    },
    // The workspace's .venv (made by `roadmap setup`) stands in for the runner's Python.
    "actions/setup-python": (inputs) => {
      expect(inputs.cache).toBe("pip");
      expect(existsSync(join(this.workspace, inputs["cache-dependency-path"]!)), "the pip cache is keyed on a file that exists").toBe(true);
      this.path = `${join(workspace, ".venv", "bin")}:${this.path}`;
    },
    "actions/upload-artifact": (inputs) => cpSync(join(this.workspace, inputs.path!), join(this.artifacts, inputs.name!), { recursive: true }),
    "actions/download-artifact": (inputs) => cpSync(join(this.artifacts, inputs.name!), join(this.workspace, inputs.path!), { recursive: true }),
  };

  async job(job: { steps: Step[] }, options: { fresh?: boolean } = {}): Promise<StepRun[]> {
    if (options.fresh) this.workspace = join(this.home, `work-${++this.jobs}`);
    mkdirSync(this.workspace, { recursive: true });
    const runs: StepRun[] = [];
    for (const step of job.steps) {
      if (step.if && !this.condition(step.if)) continue;
      if (step.uses) {
        const [action, major] = step.uses.split("@");
        const emulate = this.actions[action!];
        if (!emulate) throw new Error(`the rehearsal does not emulate ${step.uses}: add it to Runner.actions`);
        expect(major).toBe(ACTION_MAJORS[action as keyof typeof ACTION_MAJORS]);
        await emulate(Object.fromEntries(Object.entries(step.with ?? {}).map(([key, value]) => [key, String(value)])));
        runs.push({ name: `uses ${action}`, code: 0 });
        continue;
      }
      const name = step.name ?? step.run!;
      // apt steps are skipped when the packages are already installed (the test is skipped otherwise).
      if (/apt-get install/.test(step.run!)) {
        const packages = step.run!.split("--no-install-recommends")[1]!.trim().split(/\s+/);
        expect(spawnSync("dpkg", ["-s", ...packages], { stdio: "ignore" }).status, `${packages.join(" ")} installed`).toBe(0);
        runs.push({ name, code: 0 });
        continue;
      }
      const env = { ...this.env, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([key, value]) => [key, this.expression(String(value))])) };
      const cwd = join(this.workspace, step["working-directory"] ?? "");
      const result = await sh(`set -eo pipefail\n${this.expression(step.run!)}`, cwd, env);
      runs.push({ name, code: result.code });
      if (result.code !== 0 && name !== "Re-verify every exercise and compute the badge") throw new Error(`step "${name}" failed:\n${result.output}`);
    }
    return runs;
  }
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "working-directory"?: string;
}
