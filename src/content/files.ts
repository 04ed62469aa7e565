import { constants, copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";

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

/** Files below `dir`, relative to it with `/` separators, skipping any file or folder whose name `skip` matches. */
export function listExerciseFiles(dir: string, skip: (name: string) => boolean = () => false): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !skip(entry.name))
    .flatMap((entry) =>
      entry.isDirectory() ? listExerciseFiles(join(dir, entry.name), skip).map((inner) => `${entry.name}/${inner}`) : [entry.name],
    )
    .sort();
}

/** Copies an exercise folder's files to `to` under the names the learner sees. */
export function copyExerciseFiles(from: string, to: string, options: { skip?: (name: string) => boolean; overwrite?: boolean } = {}): void {
  for (const file of listExerciseFiles(from, options.skip)) {
    const target = join(to, learnerPath(file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, file), target, options.overwrite === false ? constants.COPYFILE_EXCL : 0);
  }
}
