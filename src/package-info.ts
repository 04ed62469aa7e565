import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

// NOTE: dist/*.js (the bundle) and src/*.ts (tests) both sit one level below the package root.
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface PackageInfo {
  name: string;
  version: string;
}

let installed: PackageInfo | undefined;

/** This tool's name and version, read once per run (the CLI, the content cache and init all ask). */
export function readPackageInfo(): PackageInfo {
  if (!installed) {
    const pkg = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as PackageInfo;
    installed = { name: pkg.name, version: pkg.version };
  }
  return installed;
}
