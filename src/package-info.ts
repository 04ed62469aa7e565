import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

// NOTE: dist/*.js (the bundle) and src/*.ts (tests) both sit one level below the package root.
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface PackageInfo {
  name: string;
  version: string;
}

export function readPackageInfo(root = packageRoot): PackageInfo {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageInfo;
  return { name: pkg.name, version: pkg.version };
}
