// The npm package: `npm pack` in a fresh checkout makes a tarball that installs into an empty folder without a single
// npm warning (a fresh HOME and npm cache, so nothing is borrowed from this machine), and runs. A git install, which
// needs `prepare` to build dist/, is proved by front-door.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { repoRoot, tempDir } from "../helpers.js";
import { toolRepository } from "./fresh-clone.js";

const version = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version as string;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 5 * 60_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

it("npm pack makes a tarball that installs with no warning and runs `npx roadmap --version`", { timeout: 10 * 60_000 }, () => {
  const root = tempDir("roadmap-pack-");
  const home = join(root, "home");
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    TMPDIR: root,
    // How this machine reaches the registry (certificates, a proxy).
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|(https?|no)_proxy)$/i.test(key))),
    npm_config_cache: join(root, "npm-cache"),
    npm_config_userconfig: join(home, ".npmrc"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };

  // A checkout as git has it: no dist/, node_modules as `npm install` left it.
  const checkout = toolRepository(join(root, "checkout"));
  expect(existsSync(join(checkout, "dist"))).toBe(false);
  symlinkSync(join(repoRoot, "node_modules"), join(checkout, "node_modules"));
  const manifest = readFileSync(join(checkout, "package.json"), "utf8");
  const packed = run("npm", ["pack", "--pack-destination", root], checkout, env);
  expect(packed.code, packed.output).toBe(0);
  expect(packed.output).not.toMatch(/npm warn|npm error/i);
  // The checkout's package.json is back as it was, `prepare` and all.
  expect(readFileSync(join(checkout, "package.json"), "utf8")).toBe(manifest);
  expect(readdirSync(checkout)).not.toContain(".package.json.packing");

  const tarball = join(root, `python-backend-roadmap-${version}.tgz`);
  const listed = run("tar", ["-tzf", tarball], root, env);
  expect(listed.output).toContain("package/LICENSE");
  expect(listed.output).toContain("package/dist/main.cjs");
  expect(listed.output).toContain("package/dist/boot.cjs");
  expect(listed.output).not.toContain("main.cjs.cache");
  expect(listed.output).not.toContain("package/scripts/");
  const shipped = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], root, env).output);
  expect(Object.keys(shipped.scripts)).not.toContain("prepare");

  const app = join(root, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  const installed = run("npm", ["install", tarball], app, env);
  expect(installed.code, installed.output).toBe(0);
  expect(installed.output).not.toMatch(/npm warn|npm error/i);

  const ran = run("npx", ["roadmap", "--version"], app, env);
  expect(ran.code, ran.output).toBe(0);
  expect(ran.output.trim()).toBe(version);
  // The installed tool keeps its code cache in its own dist/ (src/boot.ts), made by that first run.
  expect(existsSync(join(app, "node_modules", "python-backend-roadmap", "dist", "main.cjs.cache"))).toBe(true);
});

it("a pack that died between prepack and postpack is undone by the next one", () => {
  const dir = tempDir("roadmap-pack-manifest-");
  const original = `{\n  "name": "x",\n  "scripts": {\n    "prepare": "node scripts/build.mjs",\n    "build": "b"\n  }\n}\n`;
  writeFileSync(join(dir, "package.json"), original);
  const script = join(repoRoot, "scripts", "pack-manifest.mjs");
  const node = (arg: string) => expect(spawnSync(process.execPath, [script, arg], { cwd: dir }).status).toBe(0);
  node("strip");
  expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts).toEqual({ build: "b" });
  node("strip"); // the earlier pack never reached postpack
  node("restore");
  expect(readFileSync(join(dir, "package.json"), "utf8")).toBe(original);
  expect(readdirSync(dir)).toEqual(["package.json"]);
});
