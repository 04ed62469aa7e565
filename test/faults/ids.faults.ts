import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse } from "../helpers.js";
import { figure, python, workspaceOf } from "./course.js";

/** Every file and folder under `dir` with its size, mtime and a hash of its content. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (path: string, rel: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const stat = statSync(full);
      if (stat.isDirectory()) {
        entries[`${rel}${name}/`] = `dir ${stat.mtimeMs}`;
        walk(full, `${rel}${name}/`);
      } else {
        entries[`${rel}${name}`] = `${stat.size} ${stat.mtimeMs} ${createHash("sha256").update(readFileSync(full)).digest("hex")}`;
      }
    }
  };
  walk(dir, "");
  return entries;
}

/** Files named like the ones the hostile ids below try to create, anywhere under `dir`. */
function planted(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((path) => /pwned/.test(path));
}

describe("hostile exercise and stage ids", () => {
  it("ids with ../, absolute paths or shell characters are refused, and nothing outside (or inside) the workspace changes", async () => {
    const course = copyCourse();
    const { person, workspace } = await workspaceOf(course);
    const sentinel = join(person.home, "sentinel");
    mkdirSync(join(sentinel, "deep"), { recursive: true });
    writeFileSync(join(sentinel, "victim.txt"), "keep me\n");
    writeFileSync(join(sentinel, "deep", "README.md"), "keep me too\n");
    writeFileSync(join(sentinel, "deep", "adder.py"), "def add(a, b):\n    return a + b\n");
    const before = { sentinel: snapshot(sentinel), workspace: snapshot(workspace) };

    const ids = [
      "../sentinel",
      "../../sentinel/deep",
      "basics/../../sentinel",
      "add-numbers/../../../sentinel/deep",
      sentinel,
      join(sentinel, "victim.txt"),
      "/etc/passwd",
      "..",
      ".",
      "~",
      "*",
      `add-numbers; rm -rf ${sentinel}`,
      `$(rm -rf ${sentinel})`,
      `\`touch ${join(sentinel, "pwned")}\``,
      "add-numbers && touch pwned",
      "add-numbers | tee pwned",
      "add-numbers\ntouch pwned",
      "basics > pwned",
    ];
    const commands = (id: string): [string[], RegExp][] => [
      [["check", id], /unknown exercise/],
      [["hint", id], /unknown exercise/],
      [["solution", id, "--yes"], /unknown exercise/],
      [["reset", id], /unknown exercise/],
      [["dev", "check", id, "--python", python], /unknown exercise/],
      [["learn", id], /unknown stage/],
      [["checklist", id, "--done", "read-docs"], /unknown stage/],
      [["quiz", id, "--answers", "pick-one=four"], /unknown stage/],
    ];
    const runs = ids.flatMap((id) => commands(id).map(([args, message]) => ({ args, message })));
    const results = [];
    for (let i = 0; i < runs.length; i += 8) {
      results.push(
        ...(await Promise.all(
          runs.slice(i, i + 8).map(async (run) => ({ run, result: await person.run(["--roadmap", course, "--trust", "--workspace", workspace, ...run.args], { cwd: workspace }) })),
        )),
      );
    }
    const wrong = results
      .filter(({ run, result }) => result.code !== 2 || !run.message.test(result.stderr) || /\n\s+at /.test(result.stderr))
      .map(({ run, result }) => ({ args: run.args, code: result.code, stderr: result.stderr }));
    expect(wrong).toEqual([]);
    expect(snapshot(sentinel)).toEqual(before.sentinel);
    expect(snapshot(workspace)).toEqual(before.workspace);
    expect(planted(person.home)).toEqual([]);
    figure(`hostile ids: ${ids.length} ids x ${commands("x").length} commands = ${runs.length} runs refused (exit 2), sentinel folder and workspace unchanged`);
  });
});
