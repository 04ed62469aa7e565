import { lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { readCache, writeCache } from "../cache.js";
import { UserError } from "../errors.js";
import { PROGRESS_SCHEMA, emptyProgress, type Progress } from "./model.js";

/** Far beyond any real progress (a full roadmap's is tens of kilobytes); a larger file is refused unparsed. */
export const MAX_PROGRESS_BYTES = 10 * 1024 * 1024;

/** Inside the workspace, so learners can commit it and their CI can read it. */
export const PROGRESS_FILE = join(".roadmap", "progress.json");

export function progressFile(workspace: string): string {
  return join(workspace, PROGRESS_FILE);
}

/**
 * Reads progress without loading conf, so read-only commands stay fast; a file unchanged since it was last
 * validated comes from the cache without loading zod either. A file that cannot be trusted stops the command; it
 * is never reset.
 */
export async function readProgress(workspace: string): Promise<Progress> {
  const file = progressFile(workspace);
  const shown = relative(process.cwd(), file) || file;
  const keep = `It was kept as it is: restore it (git checkout -- ${PROGRESS_FILE}) or move it away to start over.`;
  // The schema is part of the key: a value cached by an older version has the older shape.
  const cacheKey = `progress\0${PROGRESS_SCHEMA}\0${file}`;
  let text: string;
  let stamp: string;
  try {
    // Stat before reading: if the file changes in between, the cached stamp is the older one and misses later.
    const stat = statSync(file);
    stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    if (stat.size > MAX_PROGRESS_BYTES) {
      throw new UserError(`${shown} is ${(stat.size / 1024 / 1024).toFixed(0)} MB, far more than any progress file (at most ${MAX_PROGRESS_BYTES / 1024 / 1024} MB). ${keep}`);
    }
    const validated = readCache<Progress>(cacheKey, stamp);
    if (validated) return validated;
    // An editor may save it with a byte order mark, which JSON.parse refuses: that is not corruption.
    text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  } catch (error) {
    if (error instanceof UserError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyProgress();
    throw new UserError(`cannot read ${shown}: ${(error as Error).message}. ${keep}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${shown} is not valid JSON (${(error as Error).message}). ${keep}`);
  }
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (typeof schema === "number" && schema > PROGRESS_SCHEMA) {
    throw new UserError(
      `${shown} was written by a newer python-backend-roadmap (progress schema ${schema}, this one reads ${PROGRESS_SCHEMA}): update python-backend-roadmap.`,
    );
  }
  const { progressSchema, progressSchema1 } = await import("./schema.js");
  // NOTE: a round-1 file is migrated in memory only; it is written back in the new schema by the next change saved.
  const parsed = schema === 1 ? progressSchema1.safeParse(data) : progressSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join(".") || "(top level)";
    throw new UserError(`${shown} is not a progress file this tool understands (${field}: ${issue.message}). ${keep}`);
  }
  const progress = parsed.data.schema === 1 ? (await import("./migrate.js")).migrateFromSchema1(parsed.data) : parsed.data;
  writeCache(cacheKey, stamp, progress);
  return progress;
}

/** Starts loading what updateProgress needs, so a command can overlap it with other waiting (a verifier's run). */
export function preloadProgressWriter(): void {
  // NOTE: a failure here surfaces, with its message, from updateProgress's own import.
  Promise.all([import("proper-lockfile"), import("conf")]).catch(() => {});
}

/**
 * Applies a pure change to the saved progress: read, change and write under one lock, the write atomic (conf
 * writes a temporary file and renames it). Concurrent roadmap processes each keep their change.
 */
export async function updateProgress(workspace: string, change: (progress: Progress) => Progress): Promise<Progress> {
  const file = progressFile(workspace);
  mkdirSync(dirname(file), { recursive: true });
  const [{ default: lockfile }, { default: Conf }] = await Promise.all([import("proper-lockfile"), import("conf")]);
  const release = await lockWhenFree(lockfile, file);
  try {
    const current = await readProgress(workspace);
    const next = change(current);
    if (next !== current) {
      // conf's atomic writer resolves links and would write the file a link points to, wherever it is.
      if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new UserError(
          `${relative(process.cwd(), file) || file} is a symbolic link: roadmap writes progress only to a real file in your workspace.`,
          2,
          `Replace the link with a copy of what it points to: cp --remove-destination "$(readlink -f ${PROGRESS_FILE})" ${PROGRESS_FILE}`,
        );
      }
      const store = new Conf<Progress>({
        cwd: dirname(file),
        configName: "progress",
        // NOTE: never let conf wipe a file it cannot parse; readProgress above already refused such a file.
        clearInvalidConfig: false,
        accessPropertiesByDotNotation: false,
      });
      try {
        store.store = next;
      } catch (error) {
        // The atomic writer's write(2) errors (a full disk) name no file: name the one that was being written.
        (error as { path?: string }).path ??= file;
        throw error;
      }
    }
    return next;
  } finally {
    await release();
  }
}

/**
 * Takes the lock, waiting while another roadmap holds it (up to ~20 s). proper-lockfile's own `retries` retry every
 * error, so a read-only or full disk would be retried for as long before its one-line error: only "locked" waits.
 */
async function lockWhenFree(lockfile: typeof import("proper-lockfile"), file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(file, { realpath: false, stale: 10_000, retries: 0 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED" || attempt >= 400) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(60, 5 * 1.3 ** attempt) * (0.5 + Math.random())));
    }
  }
}
