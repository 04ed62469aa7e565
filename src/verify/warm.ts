// The warm path of `roadmap watch`: after each check, the verifier process for the next one starts at once and
// imports pytest and what the exercise's tests import (python/roadmap_warm.py) while the learner edits; a save
// then pays for the tests, not for the interpreter and its imports. One process serves one run, with the same
// environment, arguments, result channel, lifeline and process group as a cold run (src/verify/verify.ts).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Exercise } from "../content/model.js";
import { startProcess, type StartedProcess } from "./process.js";
import { verifierEnv } from "./verify.js";

interface Spare {
  key: string;
  started: Promise<StartedProcess>;
}

let spare: Spare | undefined;

const keyOf = (python: string, exercise: Exercise) => `${python}\0${exercise.dir}`;

/** The warm verifier started for this exercise and Python, if there is one and it still runs; any other is ended. */
export async function takeWarmVerifier(python: string, exercise: Exercise): Promise<StartedProcess | undefined> {
  const taken = spare;
  spare = undefined;
  if (!taken) return undefined;
  const started = await taken.started.catch(() => undefined);
  if (started?.alive() && taken.key === keyOf(python, exercise)) return started;
  started?.discard();
  return undefined;
}

/** Starts the verifier process for the next check of this exercise (ending any other spare). */
export function prepareWarmVerifier(python: string, pluginDir: string, exercise: Exercise): void {
  discardWarmVerifier();
  const tests = readdirSync(join(exercise.dir, "tests")).filter((name) => name.endsWith(".py"));
  // The learner's modules and packages (`portfolio.py`, `app/main.py`): never imported before the run.
  const learnerModules = [...new Set(exercise.files.map((file) => file.split("/")[0]!.replace(/\.py$/, "")))];
  spare = {
    key: keyOf(python, exercise),
    started: startProcess({
      file: python,
      args: ["-s", "-m", "roadmap_warm", ...learnerModules, "--", ...tests.map((name) => join(exercise.dir, "tests", name))],
      // Not the shared temp folder: `python -m` puts its working folder first on sys.path while it imports.
      cwd: pluginDir,
      env: verifierEnv(process.env, pluginDir),
      waitsForInput: true,
      channel: true,
    }),
  };
}

/** Ends the waiting verifier process, if any (watch does when it stops). */
export function discardWarmVerifier(): void {
  void spare?.started.then((started) => started.discard(), () => undefined);
  spare = undefined;
}
