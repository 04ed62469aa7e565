import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learnerWithWorkspace, python, tempDir } from "../helpers.js";

describe("roadmap doctor without PostgreSQL", () => {
  it("fails a required PostgreSQL exercise and says how to install the server on Debian/Ubuntu and macOS", async () => {
    const course = copyCourse();
    const readme = join(course, "exercises", "basics", "add-numbers", "README.md");
    writeFileSync(readme, readFileSync(readme, "utf8").replace("files: [adder.py]\n", "files: [adder.py]\nrequires:\n  services: [postgresql]\n"));
    const { run } = await learnerWithWorkspace(course);
    // Hide the server: an empty PATH, and Debian's versioned directory made invisible to the CLI.
    const hooks = tempDir("roadmap-hooks-");
    const preload = join(hooks, "no-debian-postgres.cjs");
    writeFileSync(
      preload,
      'const fs = require("node:fs"); const real = fs.existsSync;\n' +
        'fs.existsSync = (p) => (String(p).startsWith("/usr/lib/postgresql") ? false : real(p));\n',
    );
    const python3 = spawnSync(python, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
    const result = await run(["doctor", "--python", python3], { env: { PATH: tempDir("roadmap-empty-path-"), NODE_OPTIONS: `--require=${preload}` } });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +postgresql +missing \(for add-numbers\)$/m);
    expect(result.stdout).toContain("sudo apt-get install postgresql");
    expect(result.stdout).toContain("/usr/lib/postgresql/<v>/bin");
    expect(result.stdout).toContain("brew install postgresql@16");
  });
});
