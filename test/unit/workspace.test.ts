import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { MARKER_FILE, defaultWorkspaceDir, findWorkspace } from "../../src/workspace.js";
import { tempDir } from "../helpers.js";

function makeWorkspace(dir: string): string {
  mkdirSync(join(dir, ".roadmap"), { recursive: true });
  writeFileSync(join(dir, MARKER_FILE), "{}");
  return dir;
}

interface Case {
  flag?: string;
  env?: string;
  cwd: string;
  last: string;
}

describe("findWorkspace", () => {
  it.each<[string, Case, string, string]>([
    ["--workspace wins over everything", { flag: "a", env: "b", cwd: "c/deep", last: "d" }, "a", "--workspace"],
    ["ROADMAP_WORKSPACE comes next", { env: "b", cwd: "c/deep", last: "d" }, "b", "ROADMAP_WORKSPACE"],
    ["then the nearest marker above the current directory", { cwd: "c/deep", last: "d" }, "c", "current directory"],
    ["then the last workspace used", { cwd: "plain", last: "d" }, "d", "last workspace"],
  ])("%s", async (_name, lookup, expected, source) => {
    const root = tempDir();
    for (const name of ["a", "b", "c", "d"]) makeWorkspace(join(root, name));
    mkdirSync(join(root, "c", "deep"), { recursive: true });
    mkdirSync(join(root, "plain"), { recursive: true });
    const found = await findWorkspace({
      flag: lookup.flag && join(root, lookup.flag),
      env: lookup.env && join(root, lookup.env),
      cwd: join(root, lookup.cwd),
      lastWorkspace: async () => join(root, lookup.last),
    });
    expect(found).toEqual({ dir: join(root, expected), source });
  });

  it("finds nothing, and asks for no settings twice, when no workspace exists", async () => {
    let asked = 0;
    const found = await findWorkspace({ cwd: tempDir(), lastWorkspace: async () => (asked++, undefined) });
    expect(found).toBeUndefined();
    expect(asked).toBe(1);
  });

  it("ignores a remembered workspace that was deleted", async () => {
    const found = await findWorkspace({ cwd: tempDir(), lastWorkspace: async () => "/nonexistent/workspace" });
    expect(found).toBeUndefined();
  });

  it.each([["flag" as const], ["env" as const]])("refuses a --%s that names a folder that is no workspace", async (kind) => {
    const dir = tempDir();
    await expect(findWorkspace({ [kind]: dir, cwd: dir, lastWorkspace: async () => undefined })).rejects.toThrow(UserError);
  });
});

describe("defaultWorkspaceDir", () => {
  it.each([
    ["/home/ada", "/opt/tool", "/home/ada/my-backend-roadmap"],
    ["/home/ada/tool", "/home/ada/tool", "/home/ada/my-backend-roadmap"],
    ["/home/ada/tool/src", "/home/ada/tool", "/home/ada/my-backend-roadmap"],
    ["/home/ada/tool-other", "/home/ada/tool", "/home/ada/tool-other/my-backend-roadmap"],
  ])("from %s with the tool in %s: %s", (cwd, packageRoot, expected) => {
    expect(defaultWorkspaceDir(cwd, packageRoot)).toBe(expected);
  });
});
