// A learner's machine for the front-door tests: a fresh HOME with no global install and no `roadmap` on PATH, the
// tool's repository as a git repository on disk (this worktree's current files, committed), and a shell.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { repoRoot } from "../helpers.js";

export interface Shell {
  code: number | null;
  output: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command line as the learner types it, in bash, without a terminal. After `timeoutMs` the command and
 * everything it started are killed, and the output says so.
 */
export function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 8 * 60_000): Promise<Shell> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let output = "";
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms: ${command}]`;
      process.kill(-child.pid!, "SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk) => ((stdout += chunk), (output += chunk)));
    child.stderr.on("data", (chunk) => ((stderr += chunk), (output += chunk)));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout, stderr });
    });
  });
}

/** A command that must succeed: its output, or an error that shows it. */
export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} in ${cwd}: ${result.stderr}`);
  return result.stdout.trim();
}

const COMMIT_AS = ["-c", "user.name=Tester", "-c", "user.email=tester@example.org"];

export function commitAll(cwd: string, message: string): void {
  git(cwd, "add", "-A");
  git(cwd, ...COMMIT_AS, "commit", "-q", "-m", message);
}

/** The tool's repository as it stands in this worktree (tracked and new files, uncommitted changes included). */
export function toolRepository(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const files = git(repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted in the worktree, not yet committed
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(dir, file));
  }
  git(dir, "init", "-q", "-b", "main");
  commitAll(dir, "the tool, as this worktree has it");
  return dir;
}

export interface Machine {
  root: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

// How this machine reaches the network (its certificate store, a proxy, pip's indexes): a learner's machine has
// its own, so these pass through to the fresh HOME.
const NETWORK = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE|(https?|no|all)_proxy|PIP_.+)$/i;

/**
 * A fresh HOME. npm's cache is the warm one of whoever runs the tests (a learner's first install downloads what it
 * reads from there); npm's global prefix is empty, so nothing is installed globally.
 */
export function freshMachine(): Machine {
  const root = mkdtempSync(join(tmpdir(), "roadmap-front-door-"));
  const home = join(root, "home");
  mkdirSync(join(home, "tmp"), { recursive: true });
  const path = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir && !existsSync(join(dir, "roadmap")));
  const standIns = standInWheels(join(root, "wheels"));
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => NETWORK.test(key))),
    ...(standIns ? { PIP_FIND_LINKS: [process.env.PIP_FIND_LINKS, standIns].filter(Boolean).join(" ") } : {}),
    PATH: path.join(delimiter),
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    TMPDIR: join(home, "tmp"),
    NO_COLOR: "1",
    LANG: "C.UTF-8",
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), ".npm"),
    npm_config_prefix: join(home, ".npm-global"),
    npm_config_update_notifier: "false",
    // A warm cache is used as it is, without asking the registry whether each package changed.
    npm_config_prefer_offline: "true",
    // The exercises' packages come from an index on disk where there is one (no network for pip here).
    ...(existsSync("/opt/pypi/simple") ? { PIP_INDEX_URL: "file:///opt/pypi/simple" } : {}),
  };
  return { root, home, env };
}

// celery's command line needs two packages that this machine's package index on disk lacks; a learner's pip gets
// them from PyPI. Empty stand-ins (the verifiers start celery's worker in code and import neither) let `pip install
// -r requirements.txt` finish here as it does there.
const MISSING_FROM_INDEX = [
  ["click-didyoumean", "click_didyoumean", "0.3.1"],
  ["click-repl", "click_repl", "0.3.0"],
] as const;

/** A folder of stand-in wheels for what the on-disk index lacks, or undefined when it lacks nothing (or there is none). */
function standInWheels(dir: string): string | undefined {
  const index = "/opt/pypi/simple";
  const missing = MISSING_FROM_INDEX.filter(([name]) => existsSync(index) && !existsSync(join(index, name)));
  if (!missing.length) return undefined;
  mkdirSync(dir, { recursive: true });
  const script = `
import sys, zipfile
folder, name, module, version = sys.argv[1:]
info = f"{module}-{version}.dist-info"
files = {f"{module}/__init__.py": "", f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
         f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: roadmap-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
files[f"{info}/RECORD"] = "".join(f"{path},,\\n" for path in [*files, f"{info}/RECORD"])
with zipfile.ZipFile(f"{folder}/{module}-{version}-py3-none-any.whl", "w") as wheel:
    for path, text in files.items():
        wheel.writestr(path, text)
`;
  for (const [name, module, version] of missing) {
    const made = spawnSync("python3", ["-c", script, dir, name, module, version], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`could not make a stand-in wheel for ${name}: ${made.stderr}`);
  }
  return dir;
}

export function removeMachine(machine: Machine): void {
  rmSync(machine.root, { recursive: true, force: true });
}

/** Every `npx roadmap ...` command a text shows, as the learner would copy it. */
export function npxCommands(text: string): string[] {
  return [...text.matchAll(/npx roadmap [^\n`)]*/g)].map(([command]) => command.replace(/\s+#.*$/, "").trim());
}

/** A `roadmap <command>` with nothing in front: it would fail with "command not found" in a learner's shell. */
export const BARE_COMMAND = /(?<![\w./-]|npx )roadmap (?:next|status|init|upgrade|learn|checklist|quiz|review|check|hint|solution|reset|watch|setup|doctor|ci|badge|dev)\b/;

/** Signs that a command did not reach this tool: the shell could not find it, or npx went to the registry. */
export const NOT_OUR_TOOL = /command not found|Need to install the following packages|npx canceled|could not determine executable/;
