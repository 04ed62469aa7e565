// Commands are written as `roadmap <command>` everywhere in the code and content; what reaches the learner is
// rendered in a form that runs where they are: `roadmap` when this tool is first on PATH (npm link, npm install -g),
// `npx roadmap` where npx runs this tool (the workspace, once installed, or the tool's own clone), else `node
// <path>/bin/roadmap.js`. A bare `npx roadmap` elsewhere would fetch an unrelated registry package called
// `roadmap`, so it is never printed where it would.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { packageRoot } from "../package-info.js";

/** roadmap's commands (a test holds this equal to the commands cli.ts registers). */
export const COMMAND_NAMES = [
  "next", "status", "init", "upgrade", "learn", "checklist", "quiz", "review", "check", "hint", "solution", "reset", "watch",
  "setup", "doctor", "ci", "badge", "dev",
] as const;

// `roadmap` followed by one of its commands (or --help), not already behind npx, and not part of a path or a name.
const COMMAND = new RegExp(`(?<![\\w./-]|npx )roadmap(?= (?:${COMMAND_NAMES.join("|")}|--help)\\b)`, "g");

/** Rewrites every `roadmap <command>` in `text` to start with `prefix` instead. */
export function withCommandPrefix(text: string, prefix: string): string {
  return prefix === "roadmap" || !text.includes("roadmap ") ? text : text.replace(COMMAND, prefix);
}

let here: string | undefined;

/** `text` with its commands in the form that runs in the current directory (for everything roadmap prints). */
export function runnableHere(text: string): string {
  if (!text.includes("roadmap ")) return text;
  here ??= commandPrefix(process.cwd());
  return withCommandPrefix(text, here);
}

/** How to start this tool in `dir`. */
export function commandPrefix(dir: string): string {
  if (onPath()) return "roadmap";
  if (npxRunsThisTool(dir)) return "npx roadmap";
  return `node ${shellQuote(join(packageRoot, "bin", "roadmap.js"))}`;
}

/** How to start this tool inside a workspace whose package.json names it (after `npm install` there). */
export function workspacePrefix(): string {
  return onPath() ? "roadmap" : "npx roadmap";
}

const thisBin = () => realpathSync(join(packageRoot, "bin", "roadmap.js"));

/** The first `roadmap` on the learner's PATH, the one their shell runs, is this tool. */
function onPath(): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    // NOTE: npx and npm scripts put node_modules/.bin folders in front of PATH for the program they start; the
    // learner's own shell does not have them.
    if (/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue;
    const candidate = join(dir || ".", "roadmap");
    if (existsSync(candidate)) return sameFile(candidate, thisBin());
  }
  return false;
}

/**
 * npx looks for `roadmap` from the nearest folder above `dir` with a package.json or node_modules: that package's
 * own bin, then node_modules/.bin (and otherwise the registry).
 */
function npxRunsThisTool(dir: string): boolean {
  for (let folder = resolve(dir); ; folder = dirname(folder)) {
    const manifest = join(folder, "package.json");
    if (existsSync(manifest) || existsSync(join(folder, "node_modules"))) {
      if (existsSync(manifest) && ownsRoadmapBin(manifest)) return sameFile(folder, packageRoot);
      const bin = join(folder, "node_modules", ".bin", "roadmap");
      return existsSync(bin) && sameFile(bin, thisBin());
    }
    if (dirname(folder) === folder) return false;
  }
}

function ownsRoadmapBin(manifest: string): boolean {
  try {
    const bin = (JSON.parse(readFileSync(manifest, "utf8")) as { bin?: unknown }).bin;
    return typeof bin === "object" && bin !== null && "roadmap" in bin;
  } catch {
    return false;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** A path as one shell word. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
