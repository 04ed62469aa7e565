// What init and upgrade do to each file of a workspace (pure): add what is missing, replace what roadmap wrote and
// nobody edited since, and keep everything else. A learner's edit is never overwritten.
import { shortHash } from "./hash.js";

export type FileAction = "add" | "update" | "same" | "keep";

export interface PlannedFile {
  path: string;
  action: FileAction;
  /** What the tool would write. */
  text: string;
}

/**
 * Hashes of files that versions before 0.2 wrote without recording them (their markers have no `files`), so
 * upgrade can tell them from edited ones: the 0.1.0 workflow, README (from the roadmap as of 0.1.0) and .gitignore.
 */
export const EARLIER_OUTPUTS: Record<string, string[]> = {
  ".github/workflows/roadmap.yml": ["53b2b38e454cc6e8"],
  "README.md": ["149208543f3cb1ca"],
  ".gitignore": ["ca2d6b69146aec4f"],
};

/** Files that roadmap updates in place, keeping the learner's own content: always safe to update. */
const MERGED = new Set(["package.json"]);

/**
 * `current(path)` is the file's text in the workspace (undefined when missing); `recorded` the hashes of what roadmap
 * last wrote (the workspace marker's `files`).
 */
export function planFiles(
  desired: Map<string, string>,
  current: (path: string) => string | undefined,
  recorded: Record<string, string> = {},
  earlier: Record<string, string[]> = EARLIER_OUTPUTS,
): PlannedFile[] {
  return [...desired].map(([path, text]) => {
    const now = current(path);
    if (now === undefined) return { path, action: "add", text };
    if (now === text) return { path, action: "same", text };
    const hash = shortHash(now);
    const unedited = MERGED.has(path) || recorded[path] === hash || (earlier[path] ?? []).includes(hash);
    return { path, action: unedited ? "update" : "keep", text };
  });
}

/** The marker's `files` after a plan is applied: what roadmap wrote now, and the old record of files it kept. */
export function recordedAfter(plan: PlannedFile[], recorded: Record<string, string> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (const { path, action, text } of plan) {
    if (action === "keep") {
      if (recorded[path]) files[path] = recorded[path];
    } else files[path] = shortHash(text);
  }
  return files;
}
