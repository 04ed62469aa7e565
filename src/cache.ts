// Validated data kept in the user's cache folder and reused while its source is unchanged, so that read-only
// commands (`status`, `next`) parse no YAML and load no schema library. A stamp describes the source (names,
// sizes, times); a different stamp is a miss and the caller validates again. Losing the cache only costs speed.
//
// The folder is private (XDG_CACHE_HOME or ~/.cache, mode 0700): a cached roadmap names the folders whose
// verifiers run, so an entry another user could plant would run their code as this one. A folder or entry that is
// not ours, or that others can write, is never read.
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import envPaths from "env-paths";
import { shortHash } from "./hash.js";

interface Entry<T> {
  stamp: string;
  value: T;
}

export function cacheDir(): string {
  return envPaths("python-backend-roadmap", { suffix: "" }).cache;
}

function cachePath(key: string): string {
  return join(cacheDir(), `${shortHash(key)}.json`);
}

/** Ours alone: owned by this user, not a symlink, and writable by nobody else (checked on the folder and the file). */
function isPrivate(path: string, follow = false): boolean {
  const stat = follow ? statSync(path) : lstatSync(path);
  const uid = process.getuid?.();
  return !stat.isSymbolicLink() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0;
}

export function readCache<T>(key: string, stamp: string): T | undefined {
  try {
    const file = cachePath(key);
    if (!isPrivate(cacheDir()) || !isPrivate(file)) return undefined;
    const entry = JSON.parse(readFileSync(file, "utf8")) as Entry<T>;
    return entry.stamp === stamp ? entry.value : undefined;
  } catch {
    return undefined;
  }
}

export function writeCache<T>(key: string, stamp: string, value: T): void {
  const file = cachePath(key);
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    if (!isPrivate(cacheDir())) return;
    // Written aside and renamed into place, so a concurrent reader sees the old entry or the new one, never half.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ stamp, value } satisfies Entry<T>), { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    // NOTE: a cache that cannot be written only costs speed on the next run.
  }
}
