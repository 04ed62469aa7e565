import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../helpers.js";

// The built loader (npm test builds first), run in a fresh Node as bin/roadmap.js runs it.
const boot = join(repoRoot, "dist", "boot.cjs");

/** A bundle as scripts/build.mjs writes one: its build id on the first line, then CommonJS code. */
function writeBundle(dir: string, id: string, says: string): string {
  const bundle = join(dir, "main.cjs");
  writeFileSync(bundle, `// roadmap build ${id}\nconsole.log(${JSON.stringify(says)}, typeof require, __filename === ${JSON.stringify(bundle)});\n`);
  return bundle;
}

function start(bundle: string, ...cacheFile: string[]) {
  const args = [bundle, ...cacheFile].map((arg) => JSON.stringify(arg)).join(", ");
  const run = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(boot)}).runCached(${args})`], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout.trim(), stderr: run.stderr };
}

const header = (cache: string) => readFileSync(cache).subarray(0, 60).toString("latin1").split("\n")[0] ?? "";

describe("the code cache of the bundle (src/boot.ts)", () => {
  it("why the build id: V8 runs another source's cache when the lengths match", () => {
    const first = new Script(`"A";`);
    first.runInThisContext();
    const other = new Script(`"B";`, { cachedData: first.createCachedData() });
    expect(other.cachedDataRejected).toBe(false);
    expect(other.runInThisContext()).toBe("A");
  });

  it("the first run writes the cache, stamped with the build, Node and CPU; later runs use it and leave it", () => {
    const dir = tempDir();
    const bundle = writeBundle(dir, "1111aaaa", "first");
    expect(start(bundle)).toEqual({ code: 0, stdout: "first function true", stderr: "" });
    const cache = `${bundle}.cache`;
    expect(header(cache)).toBe(`1111aaaa ${process.version} ${process.arch}`);
    const written = statSync(cache);
    expect(start(bundle).stdout).toBe("first function true");
    expect(statSync(cache).mtimeMs).toBe(written.mtimeMs);
    expect(statSync(cache).ino).toBe(written.ino);
  });

  it("a cache made from another build of the same length is never used, and is replaced", () => {
    const dir = tempDir();
    const bundle = writeBundle(dir, "1111aaaa", "before");
    start(bundle);
    writeBundle(dir, "2222bbbb", "after!");
    expect(readFileSync(bundle, "utf8").length).toBe(readFileSync(bundle, "utf8").replace("after!", "before").length);
    expect(start(bundle).stdout).toBe("after! function true");
    expect(header(`${bundle}.cache`)).toMatch(/^2222bbbb /);
  });

  it("a cache V8 rejects (corrupt, or from another Node) is replaced, and the run goes on", () => {
    const dir = tempDir();
    const bundle = writeBundle(dir, "1111aaaa", "fine");
    const cache = `${bundle}.cache`;
    const garbage = Buffer.alloc(4000, 7);
    writeFileSync(cache, Buffer.concat([Buffer.from(`1111aaaa ${process.version} ${process.arch}\n`), garbage]));
    expect(start(bundle)).toEqual({ code: 0, stdout: "fine function true", stderr: "" });
    expect(readFileSync(cache).includes(garbage)).toBe(false);
    expect(start(bundle).stdout).toBe("fine function true");
  });

  it("where the cache cannot be written (a read-only install), the run compiles and says nothing about it", () => {
    const dir = tempDir();
    const bundle = writeBundle(dir, "1111aaaa", "read-only");
    // A folder that does not exist: unwritable even for root, who may write into a read-only folder.
    const nowhere = join(dir, "missing", "main.cjs.cache");
    expect(start(bundle, nowhere)).toEqual({ code: 0, stdout: "read-only function true", stderr: "" });
    expect(start(bundle, nowhere)).toEqual({ code: 0, stdout: "read-only function true", stderr: "" });
    expect(existsSync(join(dir, "missing"))).toBe(false);
  });

  it("a bundle without a build id runs without a cache", () => {
    const dir = tempDir();
    const bundle = join(dir, "main.cjs");
    writeFileSync(bundle, `console.log("plain");\n`);
    expect(start(bundle).stdout).toBe("plain");
    expect(existsSync(`${bundle}.cache`)).toBe(false);
  });

  it("the built bundle carries its build id, calls no import(), and the CLI keeps its cache beside it", () => {
    const bundle = join(repoRoot, "dist", "main.cjs");
    const source = readFileSync(bundle, "utf8");
    const id = /^\/\/ roadmap build ([0-9a-f]{32})\n/.exec(source)?.[1];
    expect(id).toBeDefined();
    expect(source).not.toMatch(/\bimport\(/);
    const run = spawnSync(process.execPath, [join(repoRoot, "bin", "roadmap.js"), "--version"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(header(`${bundle}.cache`)).toMatch(new RegExp(`^${id} ${process.version} `));
  });
});
