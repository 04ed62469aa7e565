import { spawn } from "node:child_process";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { progressSchema } from "../../src/progress/schema.js";
import { cli, copyCourse, type Learner } from "../helpers.js";
import { courseWithChecklist, figure, python, workspaceOf } from "./course.js";

const progressPath = (workspace: string) => join(workspace, ".roadmap", "progress.json");

describe("progress under concurrent writers", () => {
  it("40 processes each ticking a different item at once keep all 40, five times over", async () => {
    const { course, items } = courseWithChecklist(40);
    let kept = 0;
    for (let round = 0; round < 5; round++) {
      const { person, workspace } = await workspaceOf(course);
      const results = await Promise.all(items.map((id) => person.run(["--roadmap", course, "--workspace", workspace, "checklist", "advanced", "--done", id])));
      expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
      const saved = JSON.parse(readFileSync(progressPath(workspace), "utf8"));
      expect(Object.keys(saved.checklist.advanced).sort(), `round ${round + 1}`).toEqual([...items].sort());
      kept += Object.keys(saved.checklist.advanced).length;
    }
    figure(`concurrent writers: ${kept} of 200 ticks kept (40 processes at once, 5 rounds)`);
  });
});

/**
 * Starts a writer that ticks `ids` one by one, each with its own `roadmap checklist` process, printing each id once
 * that process has exited 0; kills the writer and its roadmap process with SIGKILL after `delayMs`.
 * Returns the ids printed: the writes that completed before the kill.
 */
function killWriterAfter(person: Learner, course: string, workspace: string, ids: string[], delayMs: number): Promise<string[]> {
  const script = `for id in "$@"; do "${process.execPath}" "${cli}" --roadmap "${course}" --workspace "${workspace}" checklist advanced --done "$id" >/dev/null || exit 1; echo "$id"; done`;
  return new Promise((resolve, reject) => {
    const writer = spawn("sh", ["-c", script, "writer", ...ids], { env: person.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    writer.stdout.on("data", (chunk) => (stdout += chunk));
    writer.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(-writer.pid!, "SIGKILL");
      } catch {
        // It finished first.
      }
    }, delayMs);
    writer.on("error", reject);
    writer.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0) reject(new Error(`a writer failed on its own (exit ${code}): ${stderr}`));
      else resolve(stdout.split("\n").filter(Boolean));
    });
  });
}

describe("progress when roadmap is killed mid-write", () => {
  it("200 writers killed with SIGKILL at random moments: the file always parses and keeps every completed write", { timeout: 300_000 }, async () => {
    const lanes = 4;
    const runsPerLane = 50;
    const { course, items } = courseWithChecklist(lanes * 250);
    let completed = 0;
    let killedHoldingLock = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const { person, workspace } = await workspaceOf(course);
        const file = progressPath(workspace);
        const mine = items.slice(lane * 250, (lane + 1) * 250);
        const confirmed: string[] = [];
        for (let run = 0; run < runsPerLane; run++) {
          const next = mine.slice(confirmed.length, confirmed.length + 8);
          const printed = await killWriterAfter(person, course, workspace, next, 50 + Math.random() * 950);
          confirmed.push(...printed);
          if (existsSync(`${file}.lock`)) {
            killedHoldingLock++;
            // NOTE: a lock left by a killed writer is taken over once stale (10 s); age it rather than wait.
            const past = new Date(Date.now() - 60_000);
            utimesSync(`${file}.lock`, past, past);
          }
          if (!existsSync(file)) {
            expect(confirmed, `lane ${lane} run ${run}: ids printed but no progress file`).toEqual([]);
            continue;
          }
          const text = readFileSync(file, "utf8");
          const saved = progressSchema.parse(JSON.parse(text));
          const missing = confirmed.filter((id) => !saved.checklist.advanced?.[id]);
          expect(missing, `lane ${lane} run ${run}: completed writes lost`).toEqual([]);
        }
        completed += confirmed.length;
      }),
    );
    figure(`SIGKILL: ${lanes * runsPerLane} writers killed at random moments, ${completed} completed writes all kept, file parsed every time; ${killedHoldingLock} kills landed while holding the lock`);
    expect(completed).toBeGreaterThan(0);
  });
});

const corruptions: [string, string, RegExp][] = [
  ["truncated", '{"schema": 1, "lessons": {"basics": "2026-01-0', /is not valid JSON/],
  ["garbage", "\u0000\u00ff\u0001 not json at all \u{1F4A5}", /is not valid JSON/],
  ["from a newer version", '{"schema": 3, "lessons": {}, "future": true}', /was written by a newer python-backend-roadmap .*update python-backend-roadmap/],
  ["of a wrong shape", '{"schema": 1, "checklist": {"basics": ["read-docs"]}}', /is not a progress file this tool understands/],
];

// Every command that reads progress, in a form that would otherwise get past its own usage checks.
const readers = [
  ["status"],
  ["status", "--json", "--exercises"],
  ["next"],
  ["next", "--json"],
  ["learn", "basics"],
  ["checklist", "basics", "--done", "read-docs"],
  ["checklist", "basics", "--undo", "read-docs"],
  ["quiz", "basics", "--answers", "pick-one=four,pick-many=two+five,true-or-false=true"],
  ["review", "--answers", "pick-one=four"],
  ["check"],
  ["check", "add-numbers"],
  ["hint", "add-numbers"],
  ["solution", "add-numbers", "--yes"],
  ["reset", "add-numbers"],
  ["ci"],
  ["badge"],
  ["badge", "--verify", "--format", "json"],
];

describe("a progress file that cannot be trusted", () => {
  it.each(corruptions)("%s: every command that reads it stops with one clear line, exit 2, and keeps it byte for byte", async (_name, content, message) => {
    const course = copyCourse();
    const { person, workspace } = await workspaceOf(course);
    const file = progressPath(workspace);
    writeFileSync(file, content);
    const before = readFileSync(file);
    const results = await Promise.all(
      readers.map((args) => person.run(["--roadmap", course, "--trust", "--workspace", workspace, ...args], { env: { ROADMAP_PYTHON: python } })),
    );
    results.forEach((result, index) => {
      const what = readers[index]!.join(" ");
      expect(result.code, `${what}: ${result.stderr}`).toBe(2);
      expect(result.stderr, what).toMatch(message);
      expect(result.stderr.trim().split("\n"), what).toHaveLength(1);
      expect(result.stderr, what).toContain(join(".roadmap", "progress.json"));
      expect(result.stderr, what).not.toMatch(/\n\s+at /);
    });
    const doctor = await person.run(["--roadmap", course, "--workspace", workspace, "doctor", "--python", python]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(message);
    expect(readFileSync(file).equals(before)).toBe(true);
    figure(`corrupt progress (${_name}): ${readers.length} commands exit 2 + doctor reports it; file unchanged`);
  });
});
