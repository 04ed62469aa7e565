// The one module that asks git about a clone (through src/verify/process.ts, like every process roadmap starts).
import { realpathSync } from "node:fs";
import { runProcess } from "../verify/process.js";

export interface CloneState {
  root: string;
  commit: string;
  /** The checked-out branch; undefined on a detached HEAD. */
  branch?: string;
  /** `origin`, else the first remote; undefined when the clone has none. */
  remote?: { name: string; url: string };
  /** Files changed or added and not committed (`git status --porcelain`), as paths. */
  uncommitted: string[];
  /** Some remote-tracking branch holds the commit (as of the last fetch: no network is used). */
  pushed: boolean;
}

const GIT_TIMEOUT_MS = 20_000;

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const result = await runProcess({
    file: "git",
    args,
    cwd,
    // NOTE: GIT_OPTIONAL_LOCKS=0 keeps `git status` from taking the index lock of a clone someone is working in.
    env: { ...process.env, GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C" },
    timeoutMs: GIT_TIMEOUT_MS,
  });
  return { ok: result.exitCode === 0, out: result.stdout };
}

/** The state of the git clone whose root is `dir`, or undefined when `dir` is not the root of a clone (or git is missing). */
export async function readClone(dir: string): Promise<CloneState | undefined> {
  const [top, head, branch, status, remotes] = await Promise.all([
    git(dir, ["rev-parse", "--show-toplevel"]),
    git(dir, ["rev-parse", "--verify", "HEAD"]),
    git(dir, ["symbolic-ref", "--quiet", "--short", "HEAD"]),
    git(dir, ["status", "--porcelain"]),
    git(dir, ["remote"]),
  ]);
  // A copy installed inside someone else's repository (a workspace's node_modules) is not a clone of the tool.
  if (!top.ok || !head.ok || realpathSync(top.out.trim()) !== realpathSync(dir)) return undefined;
  const commit = head.out.trim();
  const names = remotes.ok ? lines(remotes.out) : [];
  const name = names.includes("origin") ? "origin" : names[0];
  const [url, containing] = name
    ? await Promise.all([git(dir, ["remote", "get-url", name]), git(dir, ["branch", "--remotes", "--contains", commit])])
    : [undefined, undefined];
  return {
    root: dir,
    commit,
    branch: branch.ok ? branch.out.trim() : undefined,
    remote: name && url?.ok ? { name, url: url.out.trim() } : undefined,
    uncommitted: lines(status.out).map((line) => line.slice(3)),
    // Only the chosen remote's branches count: that is where npm and the runners fetch from.
    pushed: Boolean(containing?.ok && lines(containing.out).some((ref) => ref.trim().startsWith(`${name}/`))),
  };
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim());
}
