import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { loadContent, locateWorkspace } from "../context.js";
import type { Service } from "../content/schema.js";
import { ExitCode, ExitError, UserError } from "../errors.js";
import { readProgress } from "../progress/store.js";
import { plain, print, style } from "../ui/style.js";
import { findPython } from "../verify/python.js";
import { runProcess } from "../verify/process.js";
import type { VerifyCommandOptions } from "./check.js";

type Health = "ok" | "warn" | "fail";
interface Row {
  name: string;
  health: Health;
  detail: string;
  fix?: string;
}

// Asked of the verifiers' Python in one process: its version, whether it is a venv, and what is installed.
const PROBE = `
import json, sys
from importlib import metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
names = json.loads(sys.argv[1])
print(json.dumps({"version": list(sys.version_info[:3]), "venv": sys.prefix != sys.base_prefix,
                  "packages": {name: version(name) for name in names}}))
`;

/** A table of everything the exercises need, each problem with its fix; exit 0 only when nothing fails. */
export async function doctor(options: VerifyCommandOptions): Promise<void> {
  const rows: Row[] = [];
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  rows.push({
    name: "Node.js",
    health: major > 20 || (major === 20 && minor >= 12) ? "ok" : "fail",
    detail: process.versions.node,
    fix: "Install Node.js 20.12 or newer",
  });

  const [roadmap, workspace] = await Promise.all([loadContent(options), locateWorkspace(options)]);
  if (workspace) {
    try {
      await readProgress(workspace);
      rows.push({ name: "Workspace", health: "ok", detail: workspace });
    } catch (error) {
      rows.push({ name: "Workspace", health: "fail", detail: (error as Error).message });
    }
  } else {
    rows.push({ name: "Workspace", health: "fail", detail: "none found", fix: "roadmap init [dir]" });
  }

  const { readSettings } = await import("../settings.js");
  let python: ReturnType<typeof findPython> | undefined;
  try {
    python = findPython({ flag: options.python, env: process.env.ROADMAP_PYTHON, workspace, setting: readSettings().python });
  } catch (error) {
    rows.push({ name: "Python", health: "fail", detail: (error as UserError).message, fix: (error as UserError).hint });
  }
  if (python) {
    const exercises = [...roadmap.exercises.values()];
    const required = [...new Set(["pytest", ...exercises.flatMap((e) => e.requires.python)])];
    const names = required.map((r) => r.split("[")[0]!);
    const probe = await runProcess({ file: python.path, args: ["-c", PROBE, JSON.stringify(names)], cwd: process.cwd(), env: process.env, timeoutMs: 30_000 });
    const facts = probe.exitCode === 0 ? (JSON.parse(probe.stdout) as { version: number[]; venv: boolean; packages: Record<string, string | null> }) : undefined;
    if (!facts) {
      rows.push({ name: "Python", health: "fail", detail: `${python.path} did not run: ${probe.startError ?? probe.stderr.trim().split("\n").pop()}` });
    } else {
      const [pyMajor = 0, pyMinor = 0] = facts.version;
      rows.push({
        name: "Python",
        health: pyMajor === 3 && pyMinor >= 10 ? "ok" : "fail",
        detail: `${facts.version.join(".")} at ${python.path} (from ${python.source})`,
        fix: "Install Python 3.10 or newer",
      });
      rows.push({
        name: "Virtual env",
        health: facts.venv ? "ok" : "warn",
        detail: facts.venv ? "yes" : "no: packages go into a system or user Python",
        fix: "roadmap setup (creates the workspace .venv)",
      });
      for (const [index, requirement] of required.entries()) {
        const name = names[index]!;
        const installed = facts.packages[name];
        const users = exercises.filter((e) => e.requires.python.includes(requirement)).map((e) => e.id);
        const onlyOptional = users.length > 0 && users.every((id) => roadmap.exercises.get(id)!.optional);
        rows.push({
          name: `  ${requirement}`,
          health: installed ? "ok" : onlyOptional ? "warn" : "fail",
          detail: installed ?? `missing${users.length ? ` (for ${users.slice(0, 3).join(", ")}${users.length > 3 ? ", ..." : ""})` : ""}`,
          fix: `roadmap setup (or: pip install '${requirement}')`,
        });
      }
    }
  }

  const services: [Service, string[], string][] = [
    ["redis", ["redis-server"], "sudo apt-get install redis-server   (macOS: brew install redis)"],
    [
      "postgresql",
      ["initdb", "pg_ctl"],
      "Debian/Ubuntu: sudo apt-get install postgresql (its server programs stay off PATH, in /usr/lib/postgresql/<v>/bin," +
        " where the tests find them);   macOS: brew install postgresql@16, then put $(brew --prefix postgresql@16)/bin on PATH (keg-only)",
    ],
  ];
  for (const [service, programs, fix] of services) {
    const users = [...roadmap.exercises.values()].filter((e) => e.requires.services.includes(service));
    if (users.length === 0) continue;
    const found = programs.every(findServiceProgram);
    const optional = users.every((e) => e.optional);
    rows.push({
      name: service,
      health: found ? "ok" : optional ? "warn" : "fail",
      detail: found ? "found" : `missing (for ${users.map((e) => e.id).join(", ")}${optional ? ", optional" : ""})`,
      fix,
    });
  }

  const width = Math.max(...rows.map((r) => r.name.length));
  const label: Record<Health, string> = plain
    ? { ok: "ok  ", warn: "warn", fail: "FAIL" }
    : { ok: style.green("ok  "), warn: style.yellow("warn"), fail: style.red("FAIL") };
  for (const row of rows) {
    print(`${label[row.health]}  ${row.name.padEnd(width)}  ${row.detail}`);
    if (row.health !== "ok" && row.fix) print(`      ${" ".repeat(width)}  ${style.dim(`fix: ${row.fix}`)}`);
  }
  const failures = rows.filter((r) => r.health === "fail").length;
  print(failures ? style.red(`${failures} problem(s) to fix.`) : style.green("All is well."));
  if (failures) throw new ExitError(ExitCode.failed);
}

/** PostgreSQL's server programs live outside PATH on Debian (/usr/lib/postgresql/<v>/bin); the fixture looks there too. */
function findServiceProgram(program: string): boolean {
  const dirs = (process.env.PATH ?? "").split(delimiter);
  const pgDirs = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").map((v) => join("/usr/lib/postgresql", v, "bin")) : [];
  return [...dirs, ...pgDirs].some((dir) => dir && existsSync(join(dir, program)));
}
