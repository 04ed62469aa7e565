// Starts the bundle (dist/main.cjs) from a V8 code cache kept beside it, so a command does not compile 330 KB of
// JavaScript before it starts: that compile was a fifth of `roadmap status`. Node 22.1+ offers the same as
// module.enableCompileCache(); Node 20, which roadmap supports, does not, hence this file. Replace it with that
// call once Node 20 is dropped.
//
// The cache is made by the first run after a build and written when that run exits (it then holds every function
// the run compiled); later runs hand it to V8. V8 rejects a cache made by another V8 or with other flags, but it
// checks the source only by its length, so the cache also records the build id that scripts/build.mjs writes on
// the bundle's first line: a cache is used only by the very bundle it was made from. The cache lives in dist/, as
// trusted as the code it was made from (never in a shared temporary folder); where dist/ is read-only, every run
// compiles, as plain require() does.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";

const BUILD_ID = /^\/\/ roadmap build ([0-9a-f]+)\n/;

/** Runs the CommonJS bundle at `bundle` as require() would, using and refreshing its code cache. */
export function runCached(bundle: string, cacheFile = `${bundle}.cache`): void {
  const source = readFileSync(bundle, "utf8");
  const buildId = BUILD_ID.exec(source)?.[1];
  const stamp = `${buildId} ${process.version} ${process.arch}\n`;
  const cachedData = buildId ? readCache(cacheFile, stamp) : undefined;
  // Module.wrap gives the bundle the five CommonJS variables; require() resolves from dist/, as it would.
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (buildId && (!cachedData || script.cachedDataRejected)) process.once("exit", () => writeCache(cacheFile, stamp, script));
  const module = new Module(bundle);
  module.filename = bundle;
  const run = script.runInThisContext() as (...commonJs: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

function readCache(cacheFile: string, stamp: string): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const header = Buffer.from(stamp);
  return cache.subarray(0, header.length).equals(header) ? cache.subarray(header.length) : undefined;
}

function writeCache(cacheFile: string, stamp: string, script: Script): void {
  const fresh = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(fresh, Buffer.concat([Buffer.from(stamp), script.createCachedData()]));
    renameSync(fresh, cacheFile); // whole or not at all, whatever other runs do at the same moment
  } catch {
    // A read-only install: every run compiles, as without a cache. Nothing may throw here: the command is done.
    try {
      rmSync(fresh, { force: true });
    } catch {}
  }
}
