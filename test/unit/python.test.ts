import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { findPython, type PythonLookup } from "../../src/verify/python.js";
import { tempDir } from "../helpers.js";

/** A folder with fake interpreters: bin/python3, bin/python, custom/py, and a workspace with .venv/bin/python. */
function machine() {
  const root = tempDir();
  const make = (path: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), "#!/bin/sh\n");
    chmodSync(join(root, path), 0o755);
    return join(root, path);
  };
  return {
    root,
    python3: make("bin/python3"),
    python: make("bin/python"),
    custom: make("custom/py"),
    venv: make("ws/.venv/bin/python"),
    workspace: join(root, "ws"),
    bin: join(root, "bin"),
  };
}

describe("findPython", () => {
  it.each<[string, (m: ReturnType<typeof machine>) => PythonLookup, (m: ReturnType<typeof machine>) => [string, string]]>([
    ["--python wins", (m) => ({ flag: m.custom, env: m.python, workspace: m.workspace, setting: m.python, path: m.bin }), (m) => [m.custom, "--python"]],
    ["then ROADMAP_PYTHON", (m) => ({ env: m.custom, workspace: m.workspace, setting: m.python, path: m.bin }), (m) => [m.custom, "ROADMAP_PYTHON"]],
    ["then the workspace .venv", (m) => ({ workspace: m.workspace, setting: m.custom, path: m.bin }), (m) => [m.venv, "workspace .venv"]],
    ["then the user setting", (m) => ({ workspace: m.root, setting: m.custom, path: m.bin }), (m) => [m.custom, "user setting"]],
    ["then python3 on PATH", (m) => ({ path: m.bin }), (m) => [m.python3, "PATH"]],
    ["a bare name is looked up on PATH", (m) => ({ flag: "python", path: m.bin }), (m) => [m.python, "--python"]],
  ])("%s", (_name, lookup, expected) => {
    const m = machine();
    const [path, source] = expected(m);
    expect(findPython(lookup(m))).toEqual({ path, source });
  });

  it("refuses a --python that is no program, and says how to proceed when none is found", () => {
    const m = machine();
    expect(() => findPython({ flag: join(m.root, "nope"), path: m.bin })).toThrow(UserError);
    expect(() => findPython({ path: join(m.root, "empty") })).toThrow(/No Python found/);
  });
});
