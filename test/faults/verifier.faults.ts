import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, processesMarked, repoRoot, stillRunningAfter, tempDir } from "../helpers.js";
import { figure, python, workspaceOf } from "./course.js";

const faulty = join(repoRoot, "test", "fixtures", "faulty");

/** Peak memory (VmHWM) of a process, in kB, read from /proc while it runs; the last reading before it exits. */
function watchPeakKb(pid: number): () => number {
  let peak = 0;
  const read = () => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (hwm) peak = Math.max(peak, Number(hwm[1]));
    } catch {
      // Gone.
    }
  };
  read();
  const timer = setInterval(read, 20);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** Runs `roadmap --roadmap <faulty> --trust check <exercise>` and reports its exit, time taken and peak memory. */
async function checkFaulty(exercise: string, extra: string[], env: NodeJS.ProcessEnv) {
  const { person, workspace } = await workspaceOf(faulty);
  const started = Date.now();
  const child = spawn(process.execPath, [cli, "--roadmap", faulty, "--trust", "--workspace", workspace, "check", exercise, ...extra], {
    env: { ...person.env, ROADMAP_PYTHON: python, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const peakKb = watchPeakKb(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout, stderr, ms: Date.now() - started, peakKb: peakKb() };
}

describe("learner code that misbehaves under the verifier", () => {
  it("code that loops forever is stopped at the timeout, and nothing of its tree is left", async () => {
    const mark = `roadmap-fault-${process.pid}-${Date.now()}-loops`;
    const result = await checkFaulty("loops-forever", ["--timeout", "2"], { ROADMAP_TEST_MARK: mark });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain("did not finish within 2 s");
    // Far below the 300 s its code would sleep, whatever the load: stopped, not waited for.
    expect(result.ms).toBeLessThan(60_000);
    expect(processesMarked(mark)).toEqual([]);
    figure(`loops forever: stopped with --timeout 2 after ${(result.ms / 1000).toFixed(1)} s in all, 0 processes left`);
  });

  it("code that forks a child that sleeps is stopped at the timeout with its child", async () => {
    const mark = `roadmap-fault-${process.pid}-${Date.now()}-forks`;
    const pidFile = join(tempDir(), "child.pid");
    const result = await checkFaulty("forks-sleeper", ["--timeout", "2"], { ROADMAP_TEST_MARK: mark, ROADMAP_TEST_PIDFILE: pidFile });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain("did not finish within 2 s");
    const sleeper = Number(readFileSync(pidFile, "utf8"));
    expect(sleeper).toBeGreaterThan(0);
    expect(await stillRunningAfter(sleeper, 3000), `the forked sleep (pid ${sleeper}) outlived the verifier`).toBe(false);
    expect(processesMarked(mark)).toEqual([]);
    figure(`forks a sleeper: stopped with --timeout 2 after ${(result.ms / 1000).toFixed(1)} s in all, its sleeping child gone too, 0 processes left`);
  });

  it("code that prints 50 MB keeps roadmap's peak memory under 200 MB", async () => {
    const result = await checkFaulty("prints-a-lot", [], {});
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain("FAIL prints-a-lot");
    expect(result.stdout.length).toBeLessThan(200_000);
    expect(result.peakKb).toBeGreaterThan(0);
    expect(result.peakKb).toBeLessThan(200 * 1024);
    figure(`prints 50 MB: roadmap's peak RSS ${(result.peakKb / 1024).toFixed(0)} MB (limit 200 MB), ${result.stdout.length} bytes shown`);
  });
});
