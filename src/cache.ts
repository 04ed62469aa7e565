// Validated data kept in the temporary folder and reused while its source is unchanged, so that read-only
// commands (`status`, `next`) parse no YAML and load no schema library. A stamp describes the source (names,
// sizes, times); a different stamp is a miss and the caller validates again. Losing the cache only costs speed.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shortHash } from "./hash.js";

interface Entry<T> {
  stamp: string;
  value: T;
}

function cachePath(key: string): string {
  return join(tmpdir(), "python-backend-roadmap-cache", `${shortHash(key)}.json`);
}

export function readCache<T>(key: string, stamp: string): T | undefined {
  try {
    const entry = JSON.parse(readFileSync(cachePath(key), "utf8")) as Entry<T>;
    return entry.stamp === stamp ? entry.value : undefined;
  } catch {
    return undefined;
  }
}

export function writeCache<T>(key: string, stamp: string, value: T): void {
  const file = cachePath(key);
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    // Written aside and renamed into place, so a concurrent reader sees the old entry or the new one, never half.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ stamp, value } satisfies Entry<T>));
    renameSync(temporary, file);
  } catch {
    // NOTE: a cache that cannot be written only costs speed on the next run.
  }
}
