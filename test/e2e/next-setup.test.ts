// `roadmap next` sends the learner to `roadmap setup` (or doctor) before an exercise whose checks could only fail
// because the verifiers' Python is missing or lacks a package.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { copyCourse, learner } from "../helpers.js";

it("next puts setup before an exercise while the workspace .venv lacks pytest, doctor while no Python runs", { timeout: 30_000 }, async () => {
  const person = learner();
  const course = copyCourse();
  const workspace = join(person.home, "ws");
  expect((await person.run(["init", workspace, "--roadmap", course, "--no-install"])).code).toBe(0);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => person.run(["--roadmap", course, "--workspace", workspace, ...args], { env: { ROADMAP_PYTHON: undefined, ...env } });
  expect((await run(["learn", "basics"])).code).toBe(0);

  const nothing = await run(["next", "--json"], { ROADMAP_PYTHON: join(person.home, "no-such-python") });
  expect(JSON.parse(nothing.stdout)).toMatchObject({ kind: "setup", command: "roadmap doctor", exercise: { id: "add-numbers" } });
  const told = await run(["next"], { ROADMAP_PYTHON: join(person.home, "no-such-python") });
  expect(told.code, told.stderr).toBe(0);
  expect(told.stdout).toContain("Next: Fix the Python the checks run with, before add-numbers");
  expect(told.stdout).toContain("  roadmap doctor");

  // A .venv with nothing in it: the verifiers would run there, and pytest is missing.
  const venv = spawnSync("python3", ["-m", "venv", "--without-pip", join(workspace, ".venv")], { encoding: "utf8" });
  expect(venv.status, venv.stderr).toBe(0);
  const json = JSON.parse((await run(["next", "--json"])).stdout);
  expect(json).toMatchObject({ kind: "setup", command: "roadmap setup", exercise: { id: "add-numbers" } });
  expect(json.reason).toBe(`${join(workspace, ".venv", "bin", "python")} (from workspace .venv) has no pytest`);
  const next = await run(["next"]);
  expect(next.stdout).toContain("Next: Set up Python for the exercises, before add-numbers");
  expect(next.stdout).toContain("has no pytest");
  expect(next.stdout).toContain("  roadmap setup");
  // status stays as it was: it never asks Python.
  expect((await run(["status"])).code).toBe(0);

  // A Python with pytest (the one on PATH): the exercise is next again.
  const ready = await run(["next", "--json"], { ROADMAP_PYTHON: "python3" });
  expect(JSON.parse(ready.stdout)).toMatchObject({ kind: "exercise", command: "roadmap check add-numbers" });
});
