// `roadmap learn` pages a lesson through $PAGER (less -R by default) on a terminal, and never when piped.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyCourse, learner, underTerminal } from "../helpers.js";

const LESSON_LINE = "Stage 1: Basics";

/** A pager that records its input (and how it was started) in `dir`, then says so on the terminal. */
function recordingPager(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho "args=$* LESS=$LESS" > "${dir}/${name}.args"\ncat > "${dir}/${name}.input"\necho PAGER-DONE\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("roadmap learn and the pager", () => {
  it("never pages when the output is piped", async () => {
    const person = learner();
    const pager = recordingPager(person.home, "pager");
    const result = await person.run(["--roadmap", copyCourse(), "learn", "basics"], { env: { PAGER: pager } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(LESSON_LINE);
    expect(existsSync(`${pager}.input`)).toBe(false);
  });

  it("renders the bundled lessons' checklists as markdown too, plain in a pipe", async () => {
    const person = learner();
    const result = await person.run(["learn", "core-python"]);
    expect(result.code, result.stderr).toBe(0);
    const checklist = result.stdout.slice(result.stdout.indexOf("Checklist\n"), result.stdout.indexOf("Exercises:"));
    expect(checklist).toContain("with raise ... from");
    expect(checklist).not.toMatch(/`|\*\*|\x1b\[/);
  });

  it("pages through $PAGER on a terminal, colours included", { timeout: 15_000 }, async () => {
    const person = learner();
    const pager = recordingPager(person.home, "pager");
    const session = await underTerminal([["PAGER-DONE", ""]], ["--roadmap", copyCourse(), "learn", "basics"], {
      ...person.env,
      NO_COLOR: undefined,
      TERM: "xterm-256color",
      PAGER: pager,
    });
    expect(session.missing, session.output).toBeNull();
    expect(session.exit, session.output).toBe(0);
    const paged = readFileSync(`${pager}.input`, "utf8");
    expect(paged).toContain("Basics");
    expect(paged).toContain("Checklist");
    expect(paged).toContain("\x1b[1m"); // bold: a terminal gets colours, and less -R shows them
    expect(session.output).not.toContain("Checklist"); // the lesson went to the pager, not around it
    expect(session.output).toContain("No workspace yet"); // what follows the lesson is printed after the pager
  });

  it("uses `less -R` (with LESS=FRX, as git does) when $PAGER is not set", { timeout: 15_000 }, async () => {
    const person = learner();
    const bin = join(person.home, "fake-bin");
    mkdirSync(bin);
    recordingPager(bin, "less");
    const env = { ...person.env, PATH: `${bin}:${person.env.PATH}`, TERM: "xterm", PAGER: undefined, LESS: undefined };
    const session = await underTerminal([["PAGER-DONE", ""]], ["--roadmap", copyCourse(), "learn", "basics"], env);
    expect(session.missing, session.output).toBeNull();
    expect(readFileSync(join(bin, "less.args"), "utf8").trim()).toBe("args=-R LESS=FRX");
    expect(readFileSync(join(bin, "less.input"), "utf8")).toContain("Checklist");
  });

  it("prints the lesson itself when the pager is off (PAGER=cat) or cannot start; NO_COLOR holds on a terminal", { timeout: 15_000 }, async () => {
    const person = learner();
    for (const PAGER of ["cat", "no-such-pager-here"]) {
      const session = await underTerminal([["Checklist", ""]], ["--roadmap", copyCourse(), "learn", "basics"], { ...person.env, TERM: "xterm", PAGER });
      expect(session.missing, session.output).toBeNull();
      expect(session.exit, session.output).toBe(0);
      // NO_COLOR (set for this learner): no escape code, not even in the highlighted code block.
      expect(session.output).toContain('print("hello")');
      expect(session.output).not.toContain("\x1b[");
    }
  });
});
