import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { judgeMutants, mutantTimeoutMs, type ExerciseMutants, type Mutant } from "../../src/verify/mutate.js";
import type { ExerciseStatus, ExerciseVerdict } from "../../src/verify/verify.js";
import { python, repoRoot, tempDir } from "../helpers.js";

const solution = `"""A module docstring is never mutated."""
import logging
from typing import TYPE_CHECKING

log = logging.getLogger(__name__)


def fill(order, book: dict[str, int] = None) -> bool:
    """Nor is a function's."""
    log.info("filling %s", order)
    if order.qty <= 0 or order.symbol not in book:
        raise ValueError(f"bad order {order}")
    if not order.active:
        return False
    book.pop(order.symbol, None)
    save(order, commit=True)
    return order.qty


async def close(session):
    await session.close()
    return session.closed is True


if __name__ == "__main__":
    fill(1)
`;

/** Runs python/roadmap_mutate.py on one file and returns its report and where it wrote the mutated files. */
function mutate(source: string, max = 60) {
  const dir = tempDir("roadmap-mutate-test-");
  mkdirSync(join(dir, "solution"));
  writeFileSync(join(dir, "solution", "fills.py"), source);
  const request = join(dir, "request.json");
  writeFileSync(request, JSON.stringify({ max, out: join(dir, "out"), exercises: [{ id: "fills", dir: join(dir, "solution"), files: ["fills.py"] }] }));
  const run = spawnSync(python, [join(repoRoot, "python", "roadmap_mutate.py"), request], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  const report = JSON.parse(run.stdout).fills as ExerciseMutants;
  return { report, mutatedFile: (index: number) => readFileSync(join(dir, "out", "fills", String(index), "fills.py"), "utf8") };
}

describe("python/roadmap_mutate.py", () => {
  it("makes the small changes dev mutate runs, and none in docstrings, logging, annotations or the main guard", () => {
    const { report } = mutate(solution);
    expect(report.mutants.map(({ line, kind, from, to }) => `${line} ${kind}: ${from} => ${to}`)).toEqual([
      "11 comparison: order.qty <= 0 => order.qty < 0",
      "11 boolean: order.qty <= 0 or order.symbol not in book => order.qty <= 0 and order.symbol not in book",
      "11 boundary: order.qty <= 0 => order.qty <= -1",
      "11 boundary: order.qty <= 0 => order.qty <= 1",
      "11 comparison: order.symbol not in book => order.symbol in book",
      "12 statement: raise ValueError(f'bad order {order}') => pass",
      "13 not: not order.active => order.active",
      "14 return: return False => return True",
      "15 statement: book.pop(order.symbol, None) => pass",
      "15 argument: book.pop(order.symbol, None) => book.pop(order.symbol)",
      "16 statement: save(order, commit=True) => pass",
      "16 argument: save(order, commit=True) => save(commit=True)",
      "16 argument: save(order, commit=True) => save(order)",
      "17 return: return order.qty => return None",
      "21 statement: await session.close() => pass",
      "22 return: return session.closed is True => return None",
      "22 comparison: session.closed is True => session.closed is not True",
    ]);
    expect(report.generated).toBe(17);
  });

  it("writes each mutant as the solution with only that change, still valid Python", () => {
    const { report, mutatedFile } = mutate(solution);
    const lines = solution.split("\n");
    report.mutants.forEach((mutant, index) => {
      const changed = mutatedFile(index).split("\n");
      expect(changed.filter((line, i) => line !== lines[i]).length, `${mutant.from} => ${mutant.to}`).toBe(1);
      expect(spawnSync(python, ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: mutatedFile(index) }).status).toBe(0);
    });
    expect(mutatedFile(0)).toContain("    if (order.qty < 0) or order.symbol not in book:\n");
    expect(mutatedFile(5)).toContain("        pass\n    if not order.active:");
  });

  it("keeps at most `max` mutants, every kind represented, the same ones on every run", () => {
    const first = mutate(solution, 7).report;
    expect(first.generated).toBe(17);
    expect(first.mutants).toHaveLength(7);
    expect(new Set(first.mutants.map((m) => m.kind))).toEqual(new Set(["comparison", "boolean", "not", "boundary", "return", "statement", "argument"]));
    expect(mutate(solution, 7).report).toEqual(first);
  });
});

const mutant = (from: string, to: string): Mutant => ({ file: "fills.py", line: 3, kind: "comparison", from, to });
const verdicts = (...statuses: ExerciseStatus[]) => statuses.map((status) => ({ status, tests: [] }) as unknown as ExerciseVerdict);
const generated: ExerciseMutants = { generated: 4, mutants: [mutant("a < b", "a <= b"), mutant("x == 1", "x != 1"), mutant("y > 0", "y >= 0"), mutant("f(a)", "f()")] };
const exercise = (equivalent_mutants: { file: string; from: string; to: string; why: string }[] = []) => ({ id: "fills", equivalent_mutants });

describe("judgeMutants", () => {
  it("scores killed / (run - equivalent), counting a timeout as killed", () => {
    const report = judgeMutants(exercise([{ file: "fills.py", from: "y > 0", to: "y >= 0", why: "y is never 0" }]), generated, verdicts("failed", "timeout", "passed", "passed"));
    expect(report).toMatchObject({ run: 4, killed: 2, timedOut: 1, score: 2 / 3, ok: false });
    expect(report.survived).toEqual([mutant("f(a)", "f()")]);
    expect(report.equivalent).toEqual([{ ...mutant("y > 0", "y >= 0"), why: "y is never 0" }]);
  });

  it.each<[string, { file: string; from: string; to: string; why: string }[], string[], string[]]>([
    ["an entry for no mutant", [{ file: "fills.py", from: "q < 1", to: "q <= 1", why: "." }], ['equivalent_mutants lists fills.py: "q < 1" → "q <= 1", which is no mutant of the solution now: remove or update the entry'], []],
    ["an entry in another file", [{ file: "other.py", from: "f(a)", to: "f()", why: "." }], [expect.stringContaining("which is no mutant of the solution now")] as string[], []],
    ["an entry for a killed mutant", [{ file: "fills.py", from: "a < b", to: "a <= b", why: "." }], [], ['equivalent_mutants lists fills.py: "a < b" → "a <= b", but the tests kill it here: it is not equivalent']],
  ])("reports %s", (_name, listed, problems, notes) => {
    const report = judgeMutants(exercise(listed), generated, verdicts("failed", "failed", "failed", "failed"));
    expect(report.problems).toEqual(problems);
    expect(report.notes).toEqual(notes);
  });

  it("does not call an entry stale when only a sample of the mutants ran (--max)", () => {
    const sampled = { ...generated, generated: 9 };
    const listed = [{ file: "fills.py", from: "q < 1", to: "q <= 1", why: "q is an int" }];
    expect(judgeMutants(exercise(listed), sampled, verdicts("failed", "failed", "failed", "failed"))).toMatchObject({ ok: true, problems: [], notes: [] });
  });

  it("passes when every survivor is listed as equivalent", () => {
    const listed = [{ file: "fills.py", from: " f(a) ", to: "f()", why: "f ignores it" }];
    expect(judgeMutants(exercise(listed), generated, verdicts("failed", "failed", "failed", "passed"))).toMatchObject({ ok: true, score: 1, survived: [] });
  });

  it("says why nothing ran when the solution does not pass", () => {
    expect(judgeMutants(exercise(), generated, [], "the solution does not pass alone")).toMatchObject({ ok: false, run: 0, score: null, problems: ["the solution does not pass alone"] });
  });

  it("gives a mutant five times what its solution's run took, plus a second", () => {
    expect(mutantTimeoutMs(900)).toBe(1_000 + 5 * 900);
  });
});
