// Bundles src/ into dist/main.cjs with esbuild.
//
// CommonJS, not ESM: Node 20 starts a CommonJS program measurably faster (about 0.15x of a bare `node -e 0` in
// `npm run bench`), and `roadmap status` should cost little more than starting Node. Our own code is one file,
// where modules reached through `await import()` are initialised only when first used. Large dependencies stay
// in node_modules and load on demand: an import of a package that has a CommonJS build becomes require() where
// its importer runs (a dynamic one when it is awaited). An ESM-only package is bundled instead (statically
// imported) or vendored (dynamically imported, see VENDORED), since require() cannot load it on Node 20.
// The bundle calls no import() at all: src/boot.ts runs it from a V8 code cache, compiled as a vm.Script, where
// import() would need Node's experimental vm module loader.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

// Small and needed by `status` itself (chalk when the output is in colour): always inside the bundle, where an
// `await import()` costs no more than a function call (Node's own import() starts its ESM loader: ~10 ms).
const ALWAYS_BUNDLED = new Set(["commander", "zod", "env-paths", "chalk"]);

// Needed only by commands that run or record something, and costly to load from node_modules (execa is ESM spread
// over ~40 files: ~65 ms; conf pulls in ajv and semver: ~75 ms), or ESM-only (badge-maker, for `roadmap ci`; its
// font tables make it 0.9 MB). Each is bundled into dist/vendor/<name>.cjs, which the main bundle loads on first
// use (an `await import()` in src/, a require() in the bundle), so `status` never parses it. conf is built without
// the parts roadmap never uses: its JSON-schema validator (ajv, ajv-formats) and its migrations (semver). roadmap validates progress itself (src/progress/schema.ts) and passes conf neither
// `schema` nor `migrations`; if a future change does, the stubs throw instead of silently skipping validation.
// `entry` is shaped so that `await import("<name>")` in src/ gets what the package's own types promise: the bundle
// gives a CommonJS module.exports as `default`, and named exports where the file marks itself as converted ESM
// (esbuild's `__esModule`, as for execa's entry).
const VENDORED = {
  execa: { entry: `export { execa } from "execa";`, stubbed: [] },
  conf: { entry: `module.exports = require("conf").default;`, stubbed: ["ajv/dist/2020.js", "ajv-formats", "semver"] },
  "proper-lockfile": { entry: `module.exports = require("proper-lockfile");`, stubbed: [] },
  "badge-maker": { entry: `export { makeBadge } from "badge-maker";`, stubbed: [] },
};

function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function hasCommonJsEntry(name) {
  const manifest = JSON.parse(readFileSync(join("node_modules", name, "package.json"), "utf8"));
  if (manifest.type !== "module") return true;
  const entries = JSON.stringify(manifest.exports?.["."] ?? manifest.exports ?? {});
  return entries.includes('"require"') || entries.includes('.cjs"');
}

const dependenciesOnDemand = {
  name: "dependencies-on-demand",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return undefined;
      const name = packageName(args.path);
      if (name in VENDORED) {
        if (args.kind !== "dynamic-import") throw new Error(`${args.importer}: load ${name} with await import(), so only the commands that use it pay for it`);
        return { path: name, namespace: "vendored" };
      }
      if (ALWAYS_BUNDLED.has(name) || !existsSync(join("node_modules", name))) return undefined;
      if (args.kind === "dynamic-import" || hasCommonJsEntry(name)) return { path: args.path, external: true };
      return undefined;
    });
    // `await import("execa")` becomes require() of dist/vendor/execa.cjs on first use, with import()'s shape (a
    // CommonJS module.exports as `default`): Node's own import() of a CommonJS file first scans its whole source for
    // named exports (cjs-module-lexer), which cost 30-50 ms for execa's 200 KB on every check.
    builder.onLoad({ filter: /.*/, namespace: "vendored" }, (args) => ({ contents: `module.exports = require("./vendor/${args.path}.cjs");`, loader: "js" }));
    builder.onResolve({ filter: /^\.\/vendor\//, namespace: "vendored" }, (args) => ({ path: args.path, external: true }));
  },
};

// commander loads node:child_process up front for executable subcommands, which roadmap never uses: load it only
// if it is ever touched.
const EAGER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(builder) {
    builder.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes(EAGER_CHILD_PROCESS)) throw new Error(`commander changed: ${EAGER_CHILD_PROCESS} not found in ${args.path}`);
      const lazy = "let loadedChildProcess; const childProcess = new Proxy({}, { get: (_, key) => (loadedChildProcess ??= require('node:child_process'))[key] });";
      return { contents: source.replace(EAGER_CHILD_PROCESS, lazy), loader: "js" };
    });
  },
};

// The bundle's first line names its build: a hash of its content, which src/boot.ts keys the code cache by (V8
// checks a cache against the source's length only). The same length as the hash, so the source map still fits.
const UNSET_BUILD_ID = "0".repeat(32);
function stampBuildId(bundle) {
  const code = readFileSync(bundle, "utf8");
  if (/\bimport\(/.test(code)) throw new Error(`${bundle} calls import(): src/boot.ts runs it without an ESM loader; bundle or vendor the module`);
  const id = createHash("sha256").update(code).digest("hex").slice(0, UNSET_BUILD_ID.length);
  writeFileSync(bundle, code.replace(`// roadmap build ${UNSET_BUILD_ID}`, `// roadmap build ${id}`));
}

// Built beside dist/ and swapped in, so a CLI that is running while a build happens never finds dist/ half-written.
const fresh = `dist.${process.pid}.tmp`;
// Every file in dist/ is one CommonJS bundle for Node 20.
const nodeBundle = { bundle: true, format: "cjs", platform: "node", target: "node20", minifyWhitespace: true, logLevel: "warning" };
await build({
  ...nodeBundle,
  entryPoints: ["src/main.ts"],
  outfile: join(fresh, "main.cjs"),
  minifySyntax: true,
  supported: { "dynamic-import": false },
  sourcemap: "linked",
  plugins: [dependenciesOnDemand, lazyChildProcess],
  define: { "import.meta.url": "__roadmapModuleUrl" },
  banner: { js: `// roadmap build ${UNSET_BUILD_ID}\nconst __roadmapModuleUrl = require('node:url').pathToFileURL(__filename).href;` },
});
stampBuildId(join(fresh, "main.cjs"));
// The loader that runs the bundle from its code cache (bin/roadmap.js uses it).
await build({ ...nodeBundle, entryPoints: ["src/boot.ts"], outfile: join(fresh, "boot.cjs") });
const unusedPartStub = (name) => ({
  contents: `const fail = () => { throw new Error("${name} is not bundled with roadmap (scripts/build.mjs): pass conf no schema or migrations"); };
module.exports = new Proxy(fail, { get: () => fail, construct: fail });`,
  loader: "js",
});
for (const [name, { entry, stubbed }] of Object.entries(VENDORED)) {
  await build({
    ...nodeBundle,
    stdin: { contents: entry, resolveDir: ".", loader: "js" },
    outfile: join(fresh, "vendor", `${name}.cjs`),
    plugins: [
      {
        name: "unused-parts",
        setup(builder) {
          builder.onResolve({ filter: /^[^./]/ }, (args) => (stubbed.includes(args.path) ? { path: args.path, namespace: "unused-part" } : undefined));
          builder.onLoad({ filter: /.*/, namespace: "unused-part" }, (args) => unusedPartStub(args.path));
        },
      },
    ],
  });
}

// Two renames, then the old build is removed: the moment without a dist/ is as short as it can be.
const old = `dist.${process.pid}.old`;
if (existsSync("dist")) renameSync("dist", old);
renameSync(fresh, "dist");
rmSync(old, { recursive: true, force: true });
