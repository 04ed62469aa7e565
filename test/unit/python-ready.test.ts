import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRoadmap } from "../../src/content/load.js";
import { emptyProgress, markLessonRead } from "../../src/progress/model.js";
import { planNext, setupFirst } from "../../src/plan.js";
import { distributionName, pythonReadiness } from "../../src/python-ready.js";
import { fixtureCourse, tempDir } from "../helpers.js";

describe("setupFirst", async () => {
  const roadmap = await loadRoadmap(fixtureCourse);
  const exerciseStep = planNext(roadmap, markLessonRead(emptyProgress(), "basics", new Date()));
  const learnStep = planNext(roadmap, emptyProgress());

  it("puts setup (or doctor) before an exercise while Python is not ready", () => {
    expect(exerciseStep.kind).toBe("exercise");
    const step = setupFirst(exerciseStep, { ready: false, reason: "no pytest", fix: "setup" });
    expect(step).toMatchObject({ kind: "setup", command: "roadmap setup", reason: "no pytest", exercise: { id: "add-numbers" } });
    expect(setupFirst(exerciseStep, { ready: false, reason: "no Python", fix: "doctor" })).toMatchObject({ kind: "setup", command: "roadmap doctor" });
  });

  it("leaves every other step, and a ready Python, alone", () => {
    expect(setupFirst(exerciseStep, { ready: true, python: "/usr/bin/python3" })).toBe(exerciseStep);
    expect(setupFirst(learnStep, { ready: false, reason: "no pytest", fix: "setup" })).toBe(learnStep);
  });
});

describe("distributionName", () => {
  it.each([
    ["fastapi", "fastapi"],
    ["uvicorn[standard]>=0.20", "uvicorn"],
    ["  PyJWT==2.6 ", "PyJWT"],
    ["scikit-learn; python_version>'3.9'", "scikit-learn"],
  ])("%s -> %s", (requirement, name) => expect(distributionName(requirement)).toBe(name));
});

describe("pythonReadiness", () => {
  let saved: string | undefined;
  let cache: string;
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME;
    cache = tempDir("roadmap-cache-");
    process.env.XDG_CACHE_HOME = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });

  /** A workspace with a bare .venv (no pip, so nothing installed) and its site-packages folder. */
  function bareVenv(): { workspace: string; sitePackages: string } {
    const workspace = tempDir("roadmap-ws-");
    const made = spawnSync("python3", ["-m", "venv", "--without-pip", join(workspace, ".venv")], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
    const lib = join(workspace, ".venv", "lib");
    return { workspace, sitePackages: join(lib, readdirSync(lib)[0]!, "site-packages") };
  }

  /** What pip leaves behind for a distribution, as far as importlib.metadata cares. */
  function fakeInstall(sitePackages: string, name: string): void {
    const info = join(sitePackages, `${name}-1.0.dist-info`);
    mkdirSync(info);
    writeFileSync(join(info, "METADATA"), `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n`);
  }

  it("sends a workspace .venv without pytest or a required package to setup, naming what is missing", { timeout: 20_000 }, async () => {
    const { workspace, sitePackages } = bareVenv();
    const python = join(workspace, ".venv", "bin", "python");
    expect(await pythonReadiness({ workspace }, ["fastapi"])).toEqual({
      ready: false,
      python,
      reason: `${python} (from workspace .venv) has no pytest, fastapi`,
      fix: "setup",
    });
    fakeInstall(sitePackages, "pytest");
    // Installing changed site-packages, so the cached answer is not reused.
    expect(await pythonReadiness({ workspace }, ["fastapi"])).toMatchObject({ ready: false, reason: expect.stringMatching(/has no fastapi$/) });
    expect(await pythonReadiness({ workspace }, [])).toEqual({ ready: true, python });
    fakeInstall(sitePackages, "fastapi");
    expect(await pythonReadiness({ workspace }, ["fastapi"])).toEqual({ ready: true, python });
  });

  it("reuses its cached answer while nothing changed (no Python process)", { timeout: 20_000 }, async () => {
    const { workspace } = bareVenv();
    expect(await pythonReadiness({ workspace }, [])).toMatchObject({ ready: false });
    const dir = join(cache, "python-backend-roadmap");
    const [file] = readdirSync(dir).filter((name) => readFileSync(join(dir, name), "utf8").includes('"installed"'));
    // Were Python asked again, it would say pytest is missing; the cache (edited here) says otherwise.
    const entry = JSON.parse(readFileSync(join(dir, file!), "utf8"));
    entry.value.installed.pytest = true;
    writeFileSync(join(dir, file!), JSON.stringify(entry), { mode: 0o600 });
    expect(await pythonReadiness({ workspace }, [])).toMatchObject({ ready: true });
  });

  it("sends a named Python that lacks a package, or no Python at all, to doctor", async () => {
    const { workspace } = bareVenv();
    const python = join(workspace, ".venv", "bin", "python");
    expect(await pythonReadiness({ env: python }, [])).toMatchObject({ ready: false, fix: "doctor", reason: `${python} (from ROADMAP_PYTHON) has no pytest` });
    expect(await pythonReadiness({ env: "/no/such/python" }, [])).toEqual({ ready: false, reason: "ROADMAP_PYTHON names /no/such/python, which is not a program here", fix: "doctor" });
    expect(await pythonReadiness({ path: tempDir() }, [])).toMatchObject({ ready: false, fix: "doctor", reason: expect.stringContaining("No Python found") });
  });

  it("sends an interpreter that does not run to doctor", async () => {
    const dir = tempDir();
    const broken = join(dir, "python3");
    writeFileSync(broken, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    expect(await pythonReadiness({ env: broken }, [])).toEqual({ ready: false, python: broken, reason: `${broken} (from ROADMAP_PYTHON) does not run`, fix: "doctor" });
  });
});
