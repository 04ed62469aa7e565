// Whether the Python that `roadmap check` would run the verifiers with is there and has what an exercise needs, so
// `roadmap next` can send the learner to `roadmap setup` (or `roadmap doctor`) before an exercise that could only
// fail for a reason that is not theirs.
//
// Cheap: asking Python costs a process start (some 50-200 ms), so its answer is cached (cache.ts) and reused while
// nothing it depends on changed: the interpreter (path, its link and target's size and times), the names asked,
// PYTHONPATH, and the modification time of every folder on the interpreter's sys.path. Installing or removing a
// package adds or removes an entry in one of those folders, which changes its time: the next run asks again.
import { lstatSync, statSync } from "node:fs";
import { readCache, writeCache } from "./cache.js";
import { UserError } from "./errors.js";
import { runProcess } from "./verify/process.js";
import { findPython, type PythonLookup, type PythonSource } from "./verify/python.js";

export type Readiness =
  | { ready: true; python: string }
  /** fix: the command that makes it ready ("setup": the workspace .venv would have it; "doctor": setup cannot). */
  | { ready: false; python?: string; reason: string; fix: "setup" | "doctor" };

interface Facts {
  version: number[];
  /** sys.path folders and their modification times (ns), as Python saw them. */
  dirs: Record<string, string>;
  installed: Record<string, boolean>;
}

// One process: the version, sys.path's folders with their times, and which distributions are installed.
const PROBE = `
import json, os, sys
from importlib import metadata
def installed(name):
    try:
        metadata.distribution(name)
        return True
    except metadata.PackageNotFoundError:
        return False
dirs = {p: str(os.stat(p).st_mtime_ns) for p in sys.path if p and os.path.isdir(p)}
print(json.dumps({"version": list(sys.version_info[:3]), "dirs": dirs, "installed": {n: installed(n) for n in json.loads(sys.argv[1])}}))
`;

/** A requirement's distribution name: `fastapi`, `uvicorn[standard]>=0.20` -> `uvicorn`. */
export function distributionName(requirement: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(requirement.trim())?.[0] ?? requirement.trim();
}

/**
 * Whether the verifiers' Python is ready for an exercise that requires `requirements` (pytest always). `known`: every
 * name the course requires, asked in one go so one cached answer serves every exercise.
 */
export async function pythonReadiness(lookup: PythonLookup, requirements: string[], known: string[] = requirements): Promise<Readiness> {
  let python: { path: string; source: PythonSource };
  try {
    python = findPython(lookup);
  } catch (error) {
    if (error instanceof UserError) return { ready: false, reason: error.message.replace(/\.$/, ""), fix: "doctor" };
    throw error;
  }
  const names = [...new Set(["pytest", ...known, ...requirements].map(distributionName))].sort();
  const facts = await pythonFacts(python.path, names);
  if (!facts) return { ready: false, python: python.path, reason: `${python.path} (from ${python.source}) does not run`, fix: "doctor" };
  const [major = 0, minor = 0] = facts.version;
  if (major !== 3 || minor < 10) {
    return { ready: false, python: python.path, reason: `${python.path} is Python ${facts.version.join(".")}; the exercises need 3.10 or newer`, fix: "doctor" };
  }
  const missing = ["pytest", ...requirements].map(distributionName).filter((name) => !facts.installed[name]);
  if (!missing.length) return { ready: true, python: python.path };
  // setup installs into the workspace .venv, which the verifiers use unless a Python was named (--python,
  // ROADMAP_PYTHON): then only the learner can install into it, and doctor says how.
  const named = python.source === "--python" || python.source === "ROADMAP_PYTHON";
  return {
    ready: false,
    python: python.path,
    reason: `${python.path} (from ${python.source}) has no ${[...new Set(missing)].join(", ")}`,
    fix: named ? "doctor" : "setup",
  };
}

function stamp(python: string, names: string[]): string | undefined {
  try {
    const link = lstatSync(python, { bigint: true });
    const target = statSync(python, { bigint: true });
    return JSON.stringify([python, `${link.mtimeNs}`, `${link.ctimeNs}`, `${target.size}`, `${target.mtimeNs}`, `${target.ino}`, names, process.env.PYTHONPATH ?? ""]);
  } catch {
    return undefined;
  }
}

function unchanged(dirs: Record<string, string>): boolean {
  try {
    return Object.entries(dirs).every(([dir, mtime]) => `${statSync(dir, { bigint: true }).mtimeNs}` === mtime);
  } catch {
    return false;
  }
}

/** What the interpreter has, from the cache while it holds, else asked (and cached); undefined if it does not run. */
async function pythonFacts(python: string, names: string[]): Promise<Facts | undefined> {
  const key = `python-facts:${python}`;
  const now = stamp(python, names);
  if (!now) return undefined;
  const cached = readCache<Facts>(key, now);
  if (cached && unchanged(cached.dirs)) return cached;
  const run = await runProcess({ file: python, args: ["-c", PROBE, JSON.stringify(names)], cwd: process.cwd(), env: process.env, timeoutMs: 30_000 });
  if (run.exitCode !== 0) return undefined;
  try {
    const facts = JSON.parse(run.stdout) as Facts;
    writeCache(key, now, facts);
    return facts;
  } catch {
    return undefined;
  }
}
