// The warm path of `roadmap watch`: after each check, the next check's verifier starts at once, exactly as a cold
// run would (same arguments, environment, result channel, lifeline and process group) in a run folder of its own
// that holds the tool's tests but not yet the learner's files. pytest configures itself, loads the judge, imports
// what the tests import and rewrites their asserts, then waits before collecting (python/roadmap_warm.py). A save
// copies the learner's files in and lets it go: it pays for collecting and running the tests, not for starting.
import { rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Exercise } from "../content/model.js";
import { startProcess } from "./process.js";
import { prepareRun, runEnv, type WarmRun } from "./verify.js";

interface Spare {
  key: string;
  stage: string;
  run: Promise<WarmRun>;
}

let spare: Spare | undefined;

const keyOf = (python: string, exercise: Exercise) => `${python}\0${exercise.dir}`;

/** The warm run prepared for this exercise and Python, if there is one and it still runs; any other is ended. */
export async function takeWarmVerifier(python: string, exercise: Exercise): Promise<WarmRun | undefined> {
  const taken = spare;
  spare = undefined;
  if (!taken) return undefined;
  const warm = await taken.run.catch(() => undefined);
  if (warm?.process.alive() && taken.key === keyOf(python, exercise)) return warm;
  end(taken, warm);
  return undefined;
}

/** Starts the verifier process for the next check of this exercise (ending any other spare). */
export function prepareWarmVerifier(python: string, pluginDir: string, exercise: Exercise): void {
  discardWarmVerifier();
  const prepared = prepareRun([exercise], {}, ["roadmap_warm"]);
  // The learner's modules and packages (`portfolio.py`, `app/main.py`): never imported before the run.
  const learnerModules = [...new Set(exercise.files.map((file) => file.split("/")[0]!.replace(/\.py$/, "")))];
  const started = startProcess({
    file: python,
    args: ["-s", "-m", "pytest", ...prepared.args],
    cwd: prepared.stage,
    env: {
      ...runEnv(prepared, pluginDir),
      ROADMAP_LEARNER_MODULES: learnerModules.join(","),
      // What a learner's code is likely to import: the tool's starter and reference solution import it.
      ROADMAP_WARM_SOURCES: [join(exercise.dir, "starter"), join(exercise.dir, "solution")].join(delimiter),
    },
    waitsForInput: true,
    channel: true,
  });
  spare = { key: keyOf(python, exercise), stage: prepared.stage, run: started.then((process) => ({ prepared, process })) };
}

/** Ends the waiting verifier process, if any (watch does when it stops). */
export function discardWarmVerifier(): void {
  const discarded = spare;
  spare = undefined;
  if (discarded) void discarded.run.then((warm) => end(discarded, warm), () => end(discarded, undefined));
}

function end(unused: Spare, warm: WarmRun | undefined): void {
  warm?.process.discard();
  rmSync(unused.stage, { recursive: true, force: true });
}
