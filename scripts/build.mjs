// Bundles src/ and its dependencies into dist/ with esbuild. Code splitting keeps each command's dependencies
// in chunks of their own, so `roadmap status` never loads the prompt library, the process runner or YAML.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { renameSync, rmSync } from "node:fs";

// commander loads node:child_process up front for executable subcommands, which roadmap never uses: load it only
// if it is ever touched. That saves a few ms on every run.
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

// Built beside dist/ and swapped in, so a CLI that is running while a build happens never finds dist/ half-written.
const fresh = `dist.${process.pid}.tmp`;
await build({
  entryPoints: ["src/main.ts"],
  outdir: fresh,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  logLevel: "warning",
  plugins: [lazyChildProcess],
  // Bundled CommonJS dependencies (gray-matter, proper-lockfile) call require() for Node's own modules.
  banner: { js: "import { createRequire as __roadmapRequire } from 'node:module'; const require = __roadmapRequire(import.meta.url);" },
});
rmSync("dist", { recursive: true, force: true });
renameSync(fresh, "dist");
