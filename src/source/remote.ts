// Where a git remote lives, in the two forms a workspace needs (pure): the npm dependency spec the learner's
// machine installs from, and the URL a GitHub runner fetches from.
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export interface Remote {
  /** A git dependency spec for npm, without `#<commit>` (`git+https://...`, `git+ssh://...`, `git+file:///...`). */
  npmSpec: string;
  /** What a CI runner fetches: https for a hosted repository (never ssh: a runner has no key), file:// for a folder. */
  fetchUrl: string;
  /** A folder on this machine: nothing outside it can fetch from there. */
  local: boolean;
}

// scp-like syntax, `git@github.com:owner/repo.git` (a colon before any slash, and no scheme).
const SCP_LIKE = /^(?:([^@/:]+)@)?([^/:]+):(?!\/\/)(.+)$/;

/** Reads a remote URL as `git remote get-url` prints it; relative folders resolve against the clone's root. */
export function parseRemote(url: string, cloneRoot: string): Remote | undefined {
  const scp = !isAbsolute(url) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? SCP_LIKE.exec(url) : null;
  if (scp) {
    const [, user, host, path] = scp;
    return { npmSpec: `git+ssh://${user ? `${user}@` : ""}${host}/${path}`, fetchUrl: `https://${host}/${path}`, local: false };
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const folder = pathToFileURL(resolve(cloneRoot, url)).href;
    return { npmSpec: `git+${folder}`, fetchUrl: folder, local: true };
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^git\+/, ""));
  } catch {
    return undefined;
  }
  const path = parsed.pathname;
  switch (parsed.protocol) {
    case "https:":
    case "http:": {
      // NOTE: credentials in a remote URL must never reach package.json or the workflow, which get pushed.
      const base = `${parsed.protocol}//${parsed.host}${path}`;
      return { npmSpec: `git+${base}`, fetchUrl: base, local: false };
    }
    case "ssh:": {
      const user = parsed.username ? `${parsed.username}@` : "";
      return { npmSpec: `git+ssh://${user}${parsed.host}${path}`, fetchUrl: `https://${parsed.hostname}${path}`, local: false };
    }
    case "git:":
      return { npmSpec: `git://${parsed.host}${path}`, fetchUrl: `https://${parsed.hostname}${path}`, local: false };
    case "file:":
      return { npmSpec: `git+file://${path}`, fetchUrl: `file://${path}`, local: true };
    default:
      return undefined;
  }
}

/** The repository part of a resolved git spec from npm's lockfile: `git+ssh://git@github.com/o/r.git#<sha>`. */
export function splitResolvedGitSpec(resolved: string): { repository: string; commit: string } | undefined {
  const match = /^(git\+[a-z]+:\/\/.+|git:\/\/.+)#([0-9a-f]{40})$/.exec(resolved);
  return match ? { repository: match[1]!, commit: match[2]! } : undefined;
}
