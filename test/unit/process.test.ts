import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runProcess } from "../../src/verify/process.js";

const base = { cwd: process.cwd(), env: { PATH: process.env.PATH }, timeoutMs: 20_000 };

/** Processes whose command line holds `marker`, from ps (so a leftover grandchild is seen even when reparented). */
function processesWith(marker: string): string[] {
  return execFileSync("ps", ["-eo", "args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

describe("runProcess", () => {
  it("returns the exit code and both streams", async () => {
    const result = await runProcess({ ...base, file: "sh", args: ["-c", "echo out; echo err >&2; exit 3"] });
    expect(result).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "err\n", timedOut: false, droppedBytes: 0 });
    expect(result.startError).toBeUndefined();
  });

  it("names a program that cannot start instead of throwing", async () => {
    const result = await runProcess({ ...base, file: "/nonexistent/python", args: [] });
    expect(result.exitCode).toBeUndefined();
    expect(result.startError).toMatch(/ENOENT/);
  });

  it("passes exactly the environment it is given", async () => {
    process.env.ROADMAP_LEAK_PROBE = "leaked";
    try {
      const result = await runProcess({ ...base, file: "sh", args: ["-c", 'echo "[$ROADMAP_LEAK_PROBE][$ONLY_THIS]"'], env: { ...base.env, ONLY_THIS: "kept" } });
      expect(result.stdout).toBe("[][kept]\n");
    } finally {
      delete process.env.ROADMAP_LEAK_PROBE;
    }
  });

  it("drops output past the bound but lets the program finish", async () => {
    const result = await runProcess({ ...base, file: "sh", args: ["-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo; exit 0"], maxOutputBytes: 1000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(1000);
    expect(result.droppedBytes).toBe(3_000_001 - 1000);
  });

  it("on a timeout kills the whole process group, grandchildren included", async () => {
    const marker = `sleep 31${process.pid % 1000}`;
    const result = await runProcess({ ...base, file: "sh", args: ["-c", `${marker} & ${marker}`], timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(processesWith(marker)).toEqual([]);
  });

  it("does not wait for a background child that keeps the output open after the program exits", async () => {
    const marker = `sleep 32${process.pid % 1000}`;
    const started = Date.now();
    const result = await runProcess({ ...base, file: "sh", args: ["-c", `${marker} & echo done`] });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("done\n");
    // Bounded by the sleep's own length: far below it means the group was ended, not waited for.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(processesWith(marker)).toEqual([]);
  });
});
