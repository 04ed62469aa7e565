// Bundles src/ and its dependencies into dist/ with esbuild. Code splitting keeps each command's dependencies
// in chunks of their own, so `roadmap status` never loads the prompt library, the process runner or YAML.
import { build } from "esbuild";
import { renameSync, rmSync } from "node:fs";

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
  // Bundled CommonJS dependencies (gray-matter, proper-lockfile) call require() for Node's own modules.
  banner: { js: "import { createRequire as __roadmapRequire } from 'node:module'; const require = __roadmapRequire(import.meta.url);" },
});
rmSync("dist", { recursive: true, force: true });
renameSync(fresh, "dist");
