import { constants, copyFileSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { UserError } from "../errors.js";

// npm leaves every `.gitignore` out of a published package (and inside this repository git would obey it), so an
// exercise stores a learner's `.gitignore` as `gitignore`. Every copy out of an exercise folder restores the dot,
// and the front matter's `files` always names what the learner sees.
const STORED_AS = new Map([[".gitignore", "gitignore"]]);
const LEARNER_NAME = new Map([...STORED_AS].map(([learner, stored]) => [stored, learner]));

const renameLast = (path: string, names: Map<string, string>) => {
  const parts = path.split("/");
  const last = parts.pop()!;
  return [...parts, names.get(last) ?? last].join("/");
};

/** Where a learner's file (as `files` names it) is stored in starter/ or solution/. */
export function storedPath(learnerPath: string): string {
  return renameLast(learnerPath, STORED_AS);
}

/** What the learner sees for a file stored in an exercise folder. */
export function learnerPath(storedPath: string): string {
  return renameLast(storedPath, LEARNER_NAME);
}

/**
 * Files below `dir`, relative to it with `/` separators, skipping any file or folder whose name `skip` matches.
 * A symbolic link counts as what it points to, but only when that is inside `within` (default: `dir`): a link
 * that leads out, or nowhere, stops the copy with a message naming it.
 */
export function listExerciseFiles(dir: string, skip: (name: string) => boolean = () => false, within = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !skip(entry.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      const isDirectory = entry.isSymbolicLink() ? followInside(path, within).isDirectory() : entry.isDirectory();
      return isDirectory ? listExerciseFiles(path, skip, within).map((inner) => `${entry.name}/${inner}`) : [entry.name];
    })
    .sort();
}

function followInside(link: string, within: string) {
  let target: string;
  try {
    target = realpathSync(link);
  } catch {
    throw new UserError(`${link} is a symbolic link to nothing (its target is missing).`, 2, "Remove the link, or put the file itself there.");
  }
  const root = realpathSync(within);
  if (target !== root && !target.startsWith(root + sep)) {
    throw new UserError(`${link} is a symbolic link to ${target}, outside ${within}: only files inside it are copied.`, 2, "Put the file itself there instead of a link.");
  }
  return statSync(target);
}

/** Stops before anything is written through a symbolic link at `path` or at any folder between `root` and it. */
export function refuseSymlinks(root: string, path: string): void {
  const parts = relative(root, path).split(sep).filter(Boolean);
  for (let depth = 0; depth <= parts.length; depth++) {
    const at = join(root, ...parts.slice(0, depth));
    let isLink: boolean;
    try {
      isLink = lstatSync(at).isSymbolicLink();
    } catch {
      return; // nothing there yet: nothing below it can be a link either
    }
    if (isLink && depth > 0) {
      throw new UserError(`${at} is a symbolic link: roadmap writes only real files and folders in your workspace.`, 2, `Remove the link (rm ${at}), then run the command again.`);
    }
  }
}

/**
 * Copies an exercise folder's files to `to` under the names the learner sees. Nothing is written through a
 * symbolic link in `to` (`root` is where that check starts: the workspace); links in `from` are followed only
 * inside `within`.
 */
export function copyExerciseFiles(
  from: string,
  to: string,
  options: { skip?: (name: string) => boolean; overwrite?: boolean; root?: string; within?: string } = {},
): void {
  for (const file of listExerciseFiles(from, options.skip, options.within ?? from)) {
    const target = join(to, learnerPath(file));
    refuseSymlinks(options.root ?? dirname(to), target);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, file), target, options.overwrite === false ? constants.COPYFILE_EXCL : 0);
  }
}
