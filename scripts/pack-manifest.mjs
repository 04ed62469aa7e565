// The package.json that `npm pack` (and `npm publish`) ships, without the lifecycle scripts that only make sense in a
// checkout of this repository.
//
// `prepare` builds dist/ (not committed), which a git install needs: npm runs a git dependency's `prepare` in its
// clone. The tarball already holds dist/ and does not ship scripts/, so there `prepare` could only fail, and npm >= 11
// warns about every non-registry package with a `prepare` ("install scripts not yet covered by allowScripts").
// npm reads no option to drop a script from a tarball, so `prepack` (after the build) writes package.json without
// them and keeps the original aside; `postpack` puts it back (npm runs it from the manifest it read before `prepack`).
// If a pack dies in between, the next `strip` or `restore` puts the original back first.
//
// usage: node scripts/pack-manifest.mjs strip|restore
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const MANIFEST = "package.json";
const KEPT = ".package.json.packing";
const CHECKOUT_ONLY = ["prepare", "prepack", "postpack"];

function restore() {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
}

const command = process.argv[2];
if (command === "restore") {
  restore();
} else if (command === "strip") {
  restore();
  const original = readFileSync(MANIFEST, "utf8");
  const manifest = JSON.parse(original);
  for (const name of CHECKOUT_ONLY) delete manifest.scripts?.[name];
  writeFileSync(KEPT, original);
  writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
} else {
  console.error("usage: node scripts/pack-manifest.mjs strip|restore");
  process.exit(2);
}
